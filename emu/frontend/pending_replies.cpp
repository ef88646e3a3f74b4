// SPDX-License-Identifier: GPL-2.0-only
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/pending_replies.hpp"

#include <fuse3/fuse_lowlevel.h>

#include <cerrno>
#include <vector>

namespace dmemu::emu {

Reply& Reply::operator=(Reply&& o) noexcept {
    if (this != &o) {
        if (entry_ != nullptr) err(-EIO);
        registry_ = std::move(o.registry_);
        entry_ = std::exchange(o.entry_, nullptr);
    }
    return *this;
}

Reply::~Reply() {
    if (entry_ != nullptr) err(-EIO);
}

bool Reply::err(int negative_errno) {
    return answer(
        [negative_errno](fuse_req_t req) { return fuse_reply_err(req, -negative_errno); });
}

PendingReplies::PendingReplies() { pending_.prev = pending_.next = &pending_; }

PendingReplies::~PendingReplies() {
    // Every Reply holds the registry: none is left, and every entry is on the free list.
    for (Entry* e : free_) delete e;
}

Reply PendingReplies::add(fuse_req_t req) {
    {
        std::lock_guard lk(m_);
        if (!closed_) {
            Entry* e = nullptr;
            if (free_.empty()) {
                e = new Entry;
                // Room on the free list for every entry made, so give_back never allocates.
                if (free_.capacity() < ++made_) free_.reserve(2 * made_);
            } else {
                e = free_.back();
                free_.pop_back();
            }
            *e = Entry{req, false, pending_.prev, &pending_};
            pending_.prev->next = e;
            pending_.prev = e;
            count_.store(count_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
            return Reply(shared_from_this(), e);
        }
    }
    fuse_reply_err(req, EIO);
    return Reply();
}

void PendingReplies::unlink(Entry* e) {
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = nullptr;
    count_.store(count_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
}

void PendingReplies::give_back(Entry* e) {
    free_.push_back(e);  // capacity reserved when the entry was made
}

bool PendingReplies::claim(Entry* e) {
    std::lock_guard lk(m_);
    if (e->answered) {
        give_back(e);
        return false;
    }
    e->answered = true;
    unlink(e);
    ++sending_;
    return true;
}

void PendingReplies::sent(Entry* e) {
    std::lock_guard lk(m_);
    give_back(e);
    if (--sending_ == 0) cv_.notify_all();
}

void PendingReplies::close_all(int negative_errno) {
    std::vector<fuse_req_t> orphans;
    std::unique_lock lk(m_);
    closed_ = true;
    while (pending_.next != &pending_) {
        Entry* e = pending_.next;
        e->answered = true;  // its Reply, when it completes, gives it back and sends nothing
        orphans.push_back(e->req);
        unlink(e);
    }
    ++sending_;
    lk.unlock();
    for (fuse_req_t req : orphans) fuse_reply_err(req, -negative_errno);
    lk.lock();
    --sending_;
    cv_.wait(lk, [this] { return sending_ == 0; });
}

std::size_t PendingReplies::pending() const { return count_.load(std::memory_order_relaxed); }

}  // namespace dmemu::emu
