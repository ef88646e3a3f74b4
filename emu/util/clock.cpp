// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/clock.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace dmemu::emu {

namespace asio = boost::asio;

Sleep::Sleep(Clock& clock) : clock_(clock), signal_(clock.context()) {}

Sleep::~Sleep() { cancel(); }

asio::awaitable<bool> Sleep::until(TimePoint deadline) {
    fired_ = false;
    signal_.expires_at(asio::steady_timer::time_point::max());
    pending_ = clock_.call_at(deadline, [this] {
        pending_ = 0;
        fired_ = true;
        signal_.cancel();
    });
    boost::system::error_code ec;
    co_await signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return fired_;
}

void Sleep::cancel() {
    if (pending_ != 0) {
        clock_.cancel(pending_);
        pending_ = 0;
    }
    signal_.cancel();
}

RealClock::RealClock(asio::io_context& ctx) : Clock(ctx), epoch_(std::chrono::steady_clock::now()) {}

TimePoint RealClock::now() const {
    return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_));
}

TimerId RealClock::call_at(TimePoint deadline, std::function<void()> fn) {
    const TimerId id = next_id_++;
    auto timer = std::make_unique<asio::steady_timer>(context());
    timer->expires_at(epoch_ + deadline.time_since_epoch());
    timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
        timers_.erase(id);
        if (!ec) fn();
    });
    timers_.emplace(id, std::move(timer));
    return id;
}

void RealClock::cancel(TimerId id) {
    if (auto it = timers_.find(id); it != timers_.end()) it->second->cancel();
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
        if (ctx.poll() == 0) break;
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
