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
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

struct fuse_req;
typedef struct fuse_req* fuse_req_t;

namespace dmemu::emu {

class PendingReplies;

// One request's answer. Move-only; hand it to the loop with the work.
class Reply {
public:
    Reply() = default;
    Reply(Reply&&) noexcept = default;
    Reply& operator=(Reply&&) noexcept = default;
    ~Reply();
    explicit operator bool() const { return entry_ != nullptr; }

    // Sends the answer through `send` (a fuse_reply_* call returning 0 when the kernel took it)
    // unless the request was answered already. True when `send` ran and returned 0.
    bool answer(const std::function<int(fuse_req_t)>& send);
    bool err(int negative_errno);  // fuse_reply_err with -negative_errno (0: success)

private:
    friend class PendingReplies;
    struct Entry {
        fuse_req_t req = nullptr;
        bool answered = false;  // guarded by the registry's mutex
    };
    Reply(std::shared_ptr<PendingReplies> registry, std::unique_ptr<Entry> entry)
        : registry_(std::move(registry)), entry_(std::move(entry)) {}

    std::shared_ptr<PendingReplies> registry_;
    std::unique_ptr<Entry> entry_;
};

class PendingReplies : public std::enable_shared_from_this<PendingReplies> {
public:
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
    // Claims the right to answer; false when already answered.
    bool claim(Reply::Entry* e);
    void sent();

    mutable std::mutex m_;
    std::condition_variable cv_;
    std::unordered_set<Reply::Entry*> pending_;
    std::atomic<std::size_t> count_{0};  // pending_.size(), written under m_
    std::size_t sending_ = 0;
    bool closed_ = false;
};

}  // namespace dmemu::emu
