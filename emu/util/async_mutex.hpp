// SPDX-License-Identifier: GPL-2.0-only
// A FIFO mutex for coroutines on one io_context (the kernel's md->suspend_lock / type_lock):
// control operations on one device never interleave, while other devices stay free.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <memory>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

class AsyncMutex {
public:
    class Guard {
    public:
        explicit Guard(AsyncMutex* m) : m_(m) {}
        Guard(Guard&& o) noexcept : m_(o.m_) { o.m_ = nullptr; }
        Guard& operator=(Guard&&) = delete;
        ~Guard() {
            if (m_) m_->unlock();
        }

    private:
        AsyncMutex* m_;
    };

    explicit AsyncMutex(boost::asio::io_context& ctx) : waiters_(ctx.get_executor()) {}

    boost::asio::awaitable<Guard> lock() {
        if (!locked_) {
            locked_ = true;
            co_return Guard(this);
        }
        co_await waiters_.wait();
        // unlock() handed the lock to us: locked_ stayed true.
        co_return Guard(this);
    }

private:
    void unlock() {
        if (!waiters_.wake_one()) locked_ = false;
    }

    bool locked_ = false;
    WaitQueue waiters_;
};

// A one-shot event coroutines can wait on (set() wakes every waiter, later waits return at once).
class AsyncEvent {
public:
    explicit AsyncEvent(boost::asio::io_context& ctx) : waiters_(ctx.get_executor()) {}
    void set() {
        set_ = true;
        waiters_.wake_all();
    }
    bool is_set() const { return set_; }
    boost::asio::awaitable<void> wait() {
        while (!set_) co_await waiters_.wait();
    }

private:
    bool set_ = false;
    WaitQueue waiters_;
};

}  // namespace dmemu::emu
