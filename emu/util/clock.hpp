// SPDX-License-Identifier: GPL-2.0-only
// The one door through which time enters the emulator.
//
// Every timer under emu/, transfer/ and logs/ comes from a Clock. RealClock follows
// std::chrono::steady_clock; VirtualClock only moves when the loop has nothing runnable
// (VirtualClock::run_until_idle), so a 15 s kernel request timeout costs microseconds in a
// scenario and a run replays exactly from its seed.
//
// Contract: call_at() callbacks run on the clock's io_context, never inline from call_at(),
// and in deadline order (ties in scheduling order). cancel() of a fired or unknown handle is a
// no-op.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

// Time since the clock's epoch (a virtual clock starts at 0; the real one at process start).
struct EmuTime {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<EmuTime>;
    static constexpr bool is_steady = true;
};
using Duration = EmuTime::duration;
using TimePoint = EmuTime::time_point;

using TimerId = std::uint64_t;

class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
    // Runs fn on the loop once now() >= deadline.
    virtual TimerId call_at(TimePoint deadline, std::function<void()> fn) = 0;
    virtual void cancel(TimerId id) = 0;
    virtual bool is_virtual() const = 0;

    TimerId call_after(Duration d, std::function<void()> fn) {
        return call_at(now() + d, std::move(fn));
    }
    boost::asio::io_context& context() const { return ctx_; }

protected:
    explicit Clock(boost::asio::io_context& ctx) : ctx_(ctx) {}

private:
    boost::asio::io_context& ctx_;
};

// Suspends the calling coroutine until the deadline. Returns false if cancel() woke it first.
// One Sleep serves one waiter at a time; it must outlive the wait.
class Sleep {
public:
    explicit Sleep(Clock& clock);
    ~Sleep();
    Sleep(const Sleep&) = delete;
    Sleep& operator=(const Sleep&) = delete;

    boost::asio::awaitable<bool> until(TimePoint deadline);
    boost::asio::awaitable<bool> for_(Duration d) { return until(clock_.now() + d); }
    void cancel();
    // cancel(), and the waiter resumes inside this call (WaitQueue::wake_one_now's rules).
    void cancel_now();

private:
    void disarm();  // drops the pending deadline, if any

    Clock& clock_;
    WaitQueue waiter_;
    TimerId pending_ = 0;
    bool fired_ = false;
};

// Wall-clock time for the daemon. Deadlines are kept in a map and one Asio timer waits for the
// earliest: arming a timer per call_at costs a timerfd system call each time (a ulog consult
// sets a 15 s timeout and cancels it within microseconds). Here call_at re-arms only when it
// brings the earliest deadline forward, and cancel never re-arms: a wake-up with nothing due
// just waits for the next deadline.
class RealClock final : public Clock {
public:
    explicit RealClock(boost::asio::io_context& ctx);
    ~RealClock() override;
    TimePoint now() const override;
    TimerId call_at(TimePoint deadline, std::function<void()> fn) override;
    void cancel(TimerId id) override;
    bool is_virtual() const override { return false; }

private:
    void arm(TimePoint deadline);
    void fire_due();

    std::chrono::steady_clock::time_point epoch_;
    TimerId next_id_ = 1;
    std::multimap<std::pair<TimePoint, TimerId>, std::function<void()>> by_deadline_;
    std::unordered_map<TimerId, TimePoint> deadline_of_;
    boost::asio::steady_timer timer_;
    std::optional<TimePoint> armed_;  // what timer_ waits for, while it waits
    // The timer's handler may run after the clock is gone (posted as aborted at destruction).
    std::shared_ptr<RealClock*> self_;
};

class VirtualClock final : public Clock {
public:
    explicit VirtualClock(boost::asio::io_context& ctx) : Clock(ctx) {}
    TimePoint now() const override { return now_; }
    TimerId call_at(TimePoint deadline, std::function<void()> fn) override;
    void cancel(TimerId id) override;
    bool is_virtual() const override { return true; }

    // Runs the loop until nothing is runnable and no timer is due within `limit` of virtual time;
    // jumps time forward to each next deadline. Returns false if it stopped at the limit with
    // timers still pending.
    bool run_until_idle(Duration limit = std::chrono::hours(24 * 365));
    // Advances time by d, firing every timer due on the way, then drains the loop.
    void advance(Duration d);
    std::size_t pending_timers() const { return by_deadline_.size(); }
    // Runs everything runnable now; while `hold` (set_hold) says something outside is working
    // for the loop, waits for it on the real clock before calling the loop idle.
    void settle() { drain(); }
    // Virtual time stands still while hold() is true: a real process (the real cmirrord) is
    // working on a request, and jumping to the next timer (the kernel's 15 s request timeout)
    // would be a lie. hold() must turn false by itself once the wait is no longer worth it (a
    // real-time grace), or virtual time never moves again. Empty: never hold.
    void set_hold(std::function<bool()> hold) { hold_ = std::move(hold); }
    // The earliest pending deadline: a scenario driver steps time to it and stops the moment
    // a step is done, instead of running every periodic timer up to a horizon.
    std::optional<TimePoint> next_deadline() const {
        if (by_deadline_.empty()) return std::nullopt;
        return by_deadline_.begin()->first.first;
    }

private:
    void drain();
    // Fires the earliest timer (moving time to it). False if there is none before `horizon`.
    bool fire_next(TimePoint horizon);

    TimePoint now_{};
    TimerId next_id_ = 1;
    std::multimap<std::pair<TimePoint, TimerId>, std::function<void()>> by_deadline_;
    std::unordered_map<TimerId, TimePoint> deadline_of_;
    std::function<bool()> hold_;
};

}  // namespace dmemu::emu
