// SPDX-License-Identifier: GPL-2.0-only
// Synchronous-looking block I/O for coroutines (the kernel's dm_io with no notify callback):
// submit one Bio and suspend the calling coroutine until its done() runs. Used by the disk log
// and by the mirror's recovery.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/this_coro.hpp>
#include <memory>
#include <optional>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include "emu/io/block_device.hpp"
#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

// Returns the bio's completion status (0 or a negative errno).
inline boost::asio::awaitable<int> submit_and_wait(BlockDevice& dev, Bio bio) {
    auto ex = co_await boost::asio::this_coro::executor;
    struct Completion {
        explicit Completion(boost::asio::any_io_executor e) : waiter(std::move(e)) {}
        WaitQueue waiter;
        std::optional<int> result;
    };
    // Shared: a device may complete the bio after this frame is gone (torn down at shutdown).
    auto c = std::make_shared<Completion>(ex);
    bio.done = [c](int err) {
        c->result = err;
        c->waiter.wake_all();
    };
    dev.submit(std::move(bio));
    while (!c->result.has_value()) co_await c->waiter.wait();
    co_return *c->result;
}

}  // namespace dmemu::emu
