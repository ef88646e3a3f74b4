// SPDX-License-Identifier: GPL-2.0-only
// Coroutines parked on one executor until woken, first in first out: the kernel's
// wait_queue_head for the emulator's coroutines. Every "wait until something happens" in dmemu
// (a mutex turn, a bio's completion, a drained device, a sleep's timer) parks here.
//
// Why not the usual Asio idiom of a steady_timer that never expires and is cancelled to wake the
// waiter: each such wait re-arms the reactor's timerfd (a system call per wait, measured as a
// large share of a ulog round trip), and on a virtual clock it is still a real-time object.
// Waking here is one post to the executor, so a waker's caller always finishes its step before
// the woken coroutine runs; wake_one_now() is the one exception, for callers that have nothing
// left to do.
//
// Destroying the queue wakes its waiters (as destroying a timer cancels its waits); an object
// that owns a WaitQueue must still outlive the coroutines waiting on it.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <memory>

namespace dmemu::emu {

class WaitQueue {
public:
    explicit WaitQueue(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
    ~WaitQueue() { wake_all(); }
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Returns after a wake_one() that picked this waiter or a wake_all().
    boost::asio::awaitable<void> wait() {
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void()>(
            [this](auto handler) {
                waiters_.push_back(
                    std::make_unique<WaiterFor<decltype(handler)>>(std::move(handler)));
            },
            boost::asio::use_awaitable);
    }

    // Wakes the longest waiter; false when nobody waits.
    bool wake_one() {
        auto waiter = take_longest();
        if (!waiter) return false;
        boost::asio::post(executor_, [waiter = std::move(waiter)] { waiter->resume(); });
        return true;
    }
    // Like wake_one(), but the waiter runs now, inside this call, up to its next suspension:
    // saves the loop a step (over a socket, an epoll_wait per wake-up). Only for a caller at the
    // top of a step of its own that has finished its work: the woken coroutine may do anything,
    // including destroying this queue's owner, so nothing of `this` may be used afterwards.
    bool wake_one_now() {
        auto waiter = take_longest();
        if (!waiter) return false;
        waiter->resume();
        return true;
    }
    void wake_all() {
        while (wake_one()) {
        }
    }
    std::size_t size() const { return waiters_.size(); }
    bool empty() const { return waiters_.empty(); }

private:
    // A parked coroutine's completion handler. Handlers are move-only, so not a std::function
    // (which wants a copyable callable, and so a shared_ptr around the handler: two allocations
    // per wait where this takes one).
    struct Waiter {
        virtual ~Waiter() = default;
        virtual void resume() = 0;
    };
    template <typename Handler>
    struct WaiterFor final : Waiter {
        explicit WaiterFor(Handler h) : handler(std::move(h)) {}
        void resume() override { std::move(handler)(); }
        Handler handler;
    };

    std::unique_ptr<Waiter> take_longest() {
        if (waiters_.empty()) return nullptr;
        auto waiter = std::move(waiters_.front());
        waiters_.pop_front();
        return waiter;
    }

    boost::asio::any_io_executor executor_;
    std::deque<std::unique_ptr<Waiter>> waiters_;
};

}  // namespace dmemu::emu
