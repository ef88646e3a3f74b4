// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/turnstile.hpp"

#include <algorithm>

namespace dmemu::transfer {

namespace asio = boost::asio;

Turnstile::Pass::~Pass() {
    if (queued_) turnstile_.remove(this);
    if (holding_) turnstile_.hand_over();
}

bool Turnstile::Pass::try_enter() {
    Turnstile& t = turnstile_;
    if (t.closed_ || t.busy_) return false;
    t.busy_ = true;
    holding_ = true;
    return true;
}

asio::awaitable<bool> Turnstile::Pass::enter() {
    Turnstile& t = turnstile_;
    if (t.closed_) co_return false;
    if (!t.busy_) {
        t.busy_ = true;
        holding_ = true;
        co_return true;
    }
    signal_.emplace(t.executor_);
    queued_ = true;
    t.queue_.push_back(this);
    co_await signal_->wait();
    co_return holding_;
}

void Turnstile::hand_over() {
    if (queue_.empty()) {
        busy_ = false;
        return;
    }
    Pass* next = queue_.front();
    queue_.pop_front();
    next->queued_ = false;
    next->holding_ = true;
    next->signal_->wake_all();
}

void Turnstile::remove(Pass* pass) {
    queue_.erase(std::remove(queue_.begin(), queue_.end(), pass), queue_.end());
    pass->queued_ = false;
}

void Turnstile::close() {
    closed_ = true;
    for (Pass* p : queue_) {
        p->queued_ = false;
        p->signal_->wake_all();
    }
    queue_.clear();
}

}  // namespace dmemu::transfer
