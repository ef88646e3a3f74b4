// SPDX-License-Identifier: GPL-2.0-only
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/pending_replies.hpp"

#include <fuse3/fuse_lowlevel.h>

#include <cerrno>
#include <vector>

namespace dmemu::emu {

Reply::~Reply() {
    if (entry_) err(-EIO);
}

bool Reply::answer(const std::function<int(fuse_req_t)>& send) {
    if (!entry_) return false;
    std::unique_ptr<Entry> e = std::move(entry_);
    if (!registry_->claim(e.get())) return false;
    const int rc = send(e->req);
    registry_->sent();
    return rc == 0;
}

bool Reply::err(int negative_errno) {
    return answer(
        [negative_errno](fuse_req_t req) { return fuse_reply_err(req, -negative_errno); });
}

Reply PendingReplies::add(fuse_req_t req) {
    auto e = std::make_unique<Reply::Entry>();
    e->req = req;
    {
        std::lock_guard lk(m_);
        if (!closed_) {
            pending_.insert(e.get());
            count_.store(pending_.size(), std::memory_order_relaxed);
            return Reply(shared_from_this(), std::move(e));
        }
    }
    fuse_reply_err(req, EIO);
    return Reply();
}

bool PendingReplies::claim(Reply::Entry* e) {
    std::lock_guard lk(m_);
    if (e->answered) return false;
    e->answered = true;
    pending_.erase(e);
    count_.store(pending_.size(), std::memory_order_relaxed);
    ++sending_;
    return true;
}

void PendingReplies::sent() {
    std::lock_guard lk(m_);
    if (--sending_ == 0) cv_.notify_all();
}

void PendingReplies::close_all(int negative_errno) {
    std::vector<fuse_req_t> orphans;
    std::unique_lock lk(m_);
    closed_ = true;
    for (Reply::Entry* e : pending_) {
        e->answered = true;  // its Reply, when it completes, frees it and sends nothing
        orphans.push_back(e->req);
    }
    pending_.clear();
    count_.store(0, std::memory_order_relaxed);
    ++sending_;
    lk.unlock();
    for (fuse_req_t req : orphans) fuse_reply_err(req, -negative_errno);
    lk.lock();
    --sending_;
    cv_.wait(lk, [this] { return sending_ == 0; });
}

std::size_t PendingReplies::pending() const { return count_.load(std::memory_order_relaxed); }

}  // namespace dmemu::emu
