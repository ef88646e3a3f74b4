// SPDX-License-Identifier: GPL-2.0-only
// A first-come first-served turn for coroutines on one executor: KernelEndpoint uses it so one
// consult is in flight at a time and the others wait in call order. No lock: everything runs on
// the executor's single thread.
//
// A Pass lives in the waiting coroutine's frame; destroying it (the coroutine finished, or its
// frame was torn down with the io_context) leaves the queue or hands the turn to the next.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <deque>
#include <optional>

#include "emu/util/wait_queue.hpp"

namespace dmemu::transfer {

class Turnstile {
public:
    class Pass {
    public:
        explicit Pass(Turnstile& turnstile) : turnstile_(turnstile) {}
        ~Pass();
        Pass(const Pass&) = delete;
        Pass& operator=(const Pass&) = delete;

        // Resumes holding the turn (true), or false if the turnstile was closed meanwhile.
        boost::asio::awaitable<bool> enter();
        // Takes the turn if it is free and the turnstile open (true), as enter() would without
        // suspending, but with no coroutine frame to allocate. False: call enter().
        bool try_enter();

    private:
        friend class Turnstile;
        Turnstile& turnstile_;
        std::optional<emu::WaitQueue> signal_;
        bool holding_ = false;
        bool queued_ = false;
    };

    explicit Turnstile(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}
    Turnstile(const Turnstile&) = delete;
    Turnstile& operator=(const Turnstile&) = delete;

    // Wakes every waiter with false; later enter() calls fail at once.
    void close();
    bool busy() const { return busy_; }
    std::size_t waiting() const { return queue_.size(); }

private:
    void hand_over();
    void remove(Pass* pass);

    boost::asio::any_io_executor executor_;
    bool busy_ = false;
    bool closed_ = false;
    std::deque<Pass*> queue_;
};

}  // namespace dmemu::transfer
