// SPDX-License-Identifier: GPL-2.0-only
// Coroutine plumbing for the mirror target: wait for a Bio (the kernel's synchronous dm_io, as
// kcopyd uses it), and a Notifier that wakes every coroutine waiting for a condition
// (the kernel's wait_event / wake_up on a wait queue).
#pragma once

#include "emu/io/submit_wait.hpp"

#include "emu/io/block_device.hpp"

#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <optional>

namespace dmemu::emu {

// A wait queue: wait_until(cond) returns once cond() holds, re-checking after each notify().
class Notifier {
public:
    explicit Notifier(boost::asio::io_context& ctx) : timer_(ctx) {
        timer_.expires_at(boost::asio::steady_timer::time_point::max());
    }
    void notify() { timer_.cancel(); }
    template <typename Cond>
    boost::asio::awaitable<void> wait_until(Cond cond) {
        while (!cond()) {
            boost::system::error_code ec;
            co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

private:
    boost::asio::steady_timer timer_;  // never expires: cancelled to wake the waiters
};

}  // namespace dmemu::emu
