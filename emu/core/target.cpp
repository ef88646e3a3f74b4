// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/target.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

asio::awaitable<std::string> Target::status(StatusType) { co_return std::string(); }

asio::awaitable<MessageResult> Target::message(std::vector<std::string>) {
    co_return MessageResult{-22, {}};
}

asio::awaitable<void> Target::presuspend() { co_return; }
asio::awaitable<void> Target::postsuspend() { co_return; }
asio::awaitable<int> Target::preresume() { co_return 0; }
asio::awaitable<void> Target::resume() { co_return; }
asio::awaitable<void> Target::dtr() { co_return; }

void Target::iterate_devices(const std::function<void(const DeviceRef&, Sector, Sector)>&) const {}

}  // namespace dmemu::emu
