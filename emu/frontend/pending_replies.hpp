// SPDX-License-Identifier: GPL-2.0-only
// The FUSE requests the front end has taken from the kernel and not yet answered.
//
// Every request is answered exactly once (the kernel waits for ever on one that is not): by the
// loop when its work completes, or by close_all() with an errno when the front end stops, or,
// when its Reply is destroyed unanswered (work dropped with the io_context), with EIO. Once
// close_all() returns, no reply is being sent or will be sent, so the session may be destroyed.
//
// Threads: add() and most answers on the loop (SessionReader); large spliced read replies are
// answered from a splice thread; close_all() on the unmounting thread. The mutex guards only
// this bookkeeping, never emulator state, and is never held while a reply is written to
// /dev/fuse.
//
// The bookkeeping allocates nothing per request once warm: a request's entry is a node of an
// intrusive list, taken from and given back to the registry's own free list.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

struct fuse_req;
typedef struct fuse_req* fuse_req_t;

namespace dmemu::emu {

class PendingReplies;

// One request's answer. Move-only; hand it to the loop with the work.
class Reply {
public:
    Reply() = default;
    Reply(Reply&& o) noexcept
        : registry_(std::move(o.registry_)), entry_(std::exchange(o.entry_, nullptr)) {}
    Reply& operator=(Reply&& o) noexcept;
    ~Reply();
    explicit operator bool() const { return entry_ != nullptr; }

    // Sends the answer through `send` (a callable taking the fuse_req_t: a fuse_reply_* call
    // returning 0 when the kernel took it) unless the request was answered already. True when
    // `send` ran and returned 0.
    template <class Send>
    bool answer(Send&& send);
    bool err(int negative_errno);  // fuse_reply_err with -negative_errno (0: success)

private:
    friend class PendingReplies;
    struct Entry {
        fuse_req_t req = nullptr;
        bool answered = false;  // guarded by the registry's mutex, as the links
        Entry* prev = nullptr;
        Entry* next = nullptr;
    };
    Reply(std::shared_ptr<PendingReplies> registry, Entry* entry)
        : registry_(std::move(registry)), entry_(entry) {}

    std::shared_ptr<PendingReplies> registry_;
    Entry* entry_ = nullptr;  // the registry's; given back once answered
};

class PendingReplies : public std::enable_shared_from_this<PendingReplies> {
public:
    PendingReplies();
    PendingReplies(const PendingReplies&) = delete;
    PendingReplies& operator=(const PendingReplies&) = delete;
    ~PendingReplies();

    // Registers `req`. After close_all(), answers it with EIO at once and returns an empty Reply.
    Reply add(fuse_req_t req);
    // Answers every pending request with -negative_errno, refuses new ones, and waits for
    // answers other threads are sending.
    void close_all(int negative_errno);
    // How many are unanswered, read without the mutex (the reader asks twice per request). A
    // splice thread's answer may land between two reads; the reader only uses it as a hint.
    std::size_t pending() const;

private:
    friend class Reply;
    using Entry = Reply::Entry;
    // Claims the right to answer; false when already answered, and the entry is given back.
    bool claim(Entry* e);
    // The answer claimed for `e` has been written: gives the entry back.
    void sent(Entry* e);
    void unlink(Entry* e);     // under m_
    void give_back(Entry* e);  // under m_

    mutable std::mutex m_;
    std::condition_variable cv_;
    Entry pending_;             // the list's head: pending_.next is the oldest unanswered request
    std::vector<Entry*> free_;  // entries to reuse; every entry is freed with the registry
    std::size_t made_ = 0;
    std::atomic<std::size_t> count_{0};  // unanswered requests, written under m_
    std::size_t sending_ = 0;
    bool closed_ = false;
};

template <class Send>
bool Reply::answer(Send&& send) {
    if (entry_ == nullptr) return false;
    Entry* e = std::exchange(entry_, nullptr);
    if (!registry_->claim(e)) return false;
    const int rc = send(e->req);
    registry_->sent(e);
    return rc == 0;
}

}  // namespace dmemu::emu
