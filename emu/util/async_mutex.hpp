// SPDX-License-Identifier: GPL-2.0-only
// A FIFO mutex for coroutines on one io_context (the kernel's md->suspend_lock / type_lock):
// control operations on one device never interleave, while other devices stay free.
#pragma once

#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <deque>
#include <memory>

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

    explicit AsyncMutex(boost::asio::io_context& ctx) : ctx_(ctx) {}

    boost::asio::awaitable<Guard> lock() {
        if (!locked_) {
            locked_ = true;
            co_return Guard(this);
        }
        auto timer = std::make_shared<boost::asio::steady_timer>(ctx_);
        timer->expires_at(boost::asio::steady_timer::time_point::max());
        waiters_.push_back(timer);
        boost::system::error_code ec;
        co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        // unlock() handed the lock to us: locked_ stayed true.
        co_return Guard(this);
    }

private:
    void unlock() {
        if (waiters_.empty()) {
            locked_ = false;
            return;
        }
        auto next = std::move(waiters_.front());
        waiters_.pop_front();
        next->cancel();
    }

    boost::asio::io_context& ctx_;
    bool locked_ = false;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

// A one-shot event coroutines can wait on (set() wakes every waiter, later waits return at once).
class AsyncEvent {
public:
    explicit AsyncEvent(boost::asio::io_context& ctx) : timer_(ctx) {
        timer_.expires_at(boost::asio::steady_timer::time_point::max());
    }
    void set() {
        set_ = true;
        timer_.cancel();
    }
    bool is_set() const { return set_; }
    boost::asio::awaitable<void> wait() {
        while (!set_) {
            boost::system::error_code ec;
            co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        }
    }

private:
    boost::asio::steady_timer timer_;
    bool set_ = false;
};

}  // namespace dmemu::emu
