// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/io_worker.hpp"

namespace dmemu::emu {

IoWorker::~IoWorker() { threads_.join(); }

}  // namespace dmemu::emu
