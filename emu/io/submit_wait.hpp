// SPDX-License-Identifier: GPL-2.0-only
// Synchronous-looking block I/O for coroutines (the kernel's dm_io with no notify callback):
// submit one Bio and suspend the calling coroutine until its done() runs. Used by the disk log
// and by the mirror's recovery.
#pragma once

#include "emu/io/block_device.hpp"

#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>

namespace dmemu::emu {

// Returns the bio's completion status (0 or a negative errno).
inline boost::asio::awaitable<int> submit_and_wait(BlockDevice& dev, Bio bio) {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    // A timer that never expires by itself serves as the wake-up signal (as AsyncEvent does).
    auto signal = std::make_shared<asio::steady_timer>(ex, asio::steady_timer::time_point::max());
    auto result = std::make_shared<std::optional<int>>();
    bio.done = [signal, result](int err) {
        *result = err;
        signal->cancel();
    };
    dev.submit(std::move(bio));
    while (!result->has_value()) {
        boost::system::error_code ec;
        co_await signal->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return **result;
}

}  // namespace dmemu::emu
