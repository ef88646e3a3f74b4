// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/io_worker.hpp"

#include <boost/asio/post.hpp>

namespace dmemu::emu {

IoWorker::~IoWorker() { thread_.join(); }

void IoWorker::post(std::function<void()> job) { boost::asio::post(thread_, std::move(job)); }

}  // namespace dmemu::emu
