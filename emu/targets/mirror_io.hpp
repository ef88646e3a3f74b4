// SPDX-License-Identifier: GPL-2.0-only
// Coroutine plumbing for the mirror target: wait for a Bio (the kernel's synchronous dm_io, as
// kcopyd uses it), and a Notifier that wakes every coroutine waiting for a condition
// (the kernel's wait_event / wake_up on a wait queue).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include "emu/io/block_device.hpp"
#include "emu/io/submit_wait.hpp"
#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

// A wait queue: wait_until(cond) returns once cond() holds, re-checking after each notify().
class Notifier {
public:
    explicit Notifier(boost::asio::io_context& ctx) : waiters_(ctx.get_executor()) {}
    void notify() { waiters_.wake_all(); }
    template <typename Cond>
    boost::asio::awaitable<void> wait_until(Cond cond) {
        while (!cond()) co_await waiters_.wait();
    }

private:
    WaitQueue waiters_;
};

}  // namespace dmemu::emu
