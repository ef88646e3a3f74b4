// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/clock.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "emu/util/determinism.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

Sleep::Sleep(Clock& clock) : clock_(clock), waiter_(clock.context().get_executor()) {}

Sleep::~Sleep() { cancel(); }

asio::awaitable<bool> Sleep::until(TimePoint deadline) {
    fired_ = false;
    pending_ = clock_.call_at(deadline, [this] {
        pending_ = 0;
        fired_ = true;
        waiter_.wake_all();
    });
    co_await waiter_.wait();
    co_return fired_;
}

void Sleep::disarm() {
    if (pending_ != 0) {
        clock_.cancel(pending_);
        pending_ = 0;
    }
}

void Sleep::cancel() {
    disarm();
    waiter_.wake_all();
}

void Sleep::cancel_now() {
    disarm();
    waiter_.wake_one_now();
}

RealClock::RealClock(asio::io_context& ctx)
    : Clock(ctx),
      epoch_(std::chrono::steady_clock::now()),
      timer_(ctx),
      self_(std::make_shared<RealClock*>(this)) {
    DeterminismGuard::report("RealClock constructed");
}

RealClock::~RealClock() { self_.reset(); }

TimePoint RealClock::now() const {
    DeterminismGuard::report("RealClock::now()");
    return TimePoint(
        std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_));
}

TimerId RealClock::call_at(TimePoint deadline, std::function<void()> fn) {
    DeterminismGuard::report("RealClock::call_at()");
    const TimerId id = next_id_++;
    by_deadline_.emplace(std::make_pair(deadline, id), std::move(fn));
    deadline_of_.emplace(id, deadline);
    if (!armed_ || deadline < *armed_) arm(deadline);
    return id;
}

void RealClock::cancel(TimerId id) {
    auto it = deadline_of_.find(id);
    if (it == deadline_of_.end()) return;
    by_deadline_.erase(std::make_pair(it->second, id));
    deadline_of_.erase(it);
}

void RealClock::arm(TimePoint deadline) {
    armed_ = deadline;
    timer_.expires_at(epoch_ + deadline.time_since_epoch());  // aborts a wait for a later one
    timer_.async_wait([self = std::weak_ptr<RealClock*>(self_)](boost::system::error_code ec) {
        auto clock = self.lock();
        if (!clock || ec == asio::error::operation_aborted) return;
        (*clock)->armed_.reset();
        (*clock)->fire_due();
    });
}

void RealClock::fire_due() {
    const TimePoint current = now();
    // One at a time: a callback may add or cancel timers.
    while (!by_deadline_.empty() && by_deadline_.begin()->first.first <= current) {
        auto first = by_deadline_.begin();
        auto fn = std::move(first->second);
        deadline_of_.erase(first->first.second);
        by_deadline_.erase(first);
        fn();
    }
    // A callback may have armed the timer for a deadline later than one still waiting.
    if (by_deadline_.empty()) return;
    const TimePoint earliest = by_deadline_.begin()->first.first;
    if (!armed_ || earliest < *armed_) arm(earliest);
}

TimerId VirtualClock::call_at(TimePoint deadline, std::function<void()> fn) {
    const TimerId id = next_id_++;
    if (deadline < now_) deadline = now_;
    by_deadline_.emplace(std::make_pair(deadline, id), std::move(fn));
    deadline_of_.emplace(id, deadline);
    return id;
}

void VirtualClock::cancel(TimerId id) {
    auto it = deadline_of_.find(id);
    if (it == deadline_of_.end()) return;
    by_deadline_.erase(std::make_pair(it->second, id));
    deadline_of_.erase(it);
}

void VirtualClock::drain() {
    auto& ctx = context();
    for (;;) {
        ctx.restart();
        if (ctx.poll() > 0) continue;
        if (!hold_ || !hold_()) break;
        // Blocks for a real event (a reply on a socket); a short slice, so that hold() is asked
        // again soon when nothing comes.
        ctx.restart();
        ctx.run_one_for(std::chrono::milliseconds(20));
    }
}

bool VirtualClock::fire_next(TimePoint horizon) {
    if (by_deadline_.empty()) return false;
    auto it = by_deadline_.begin();
    if (it->first.first > horizon) return false;
    now_ = it->first.first;
    auto fn = std::move(it->second);
    deadline_of_.erase(it->first.second);
    by_deadline_.erase(it);
    // Timer callbacks run from the loop like any other handler, never inline.
    asio::post(context(), std::move(fn));
    return true;
}

bool VirtualClock::run_until_idle(Duration limit) {
    const TimePoint horizon = now_ + limit;
    for (;;) {
        drain();
        if (!fire_next(horizon)) return by_deadline_.empty();
    }
}

void VirtualClock::advance(Duration d) {
    const TimePoint target = now_ + d;
    for (;;) {
        drain();
        if (!fire_next(target)) break;
    }
    now_ = target;
    drain();
}

}  // namespace dmemu::emu
