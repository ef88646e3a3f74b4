// SPDX-License-Identifier: GPL-2.0-only
// Completions that run in the loop step whose work queued them.
//
// complete_later() posts a Bio's done() to the loop. Asio's scheduler polls the reactor once
// between a handler and what it posted, so under the FUSE front end every write paid one
// epoll_wait(0) between its pwrite and its answer: a fourth system call where libfuse's own
// passthrough_ll makes three (docs/performance.md).
//
// While a CompletionBatch is open on the loop thread, complete_later() and the Table's split
// parent queue their callbacks here instead, and the batch's owner runs them with run() once
// the work that queued them has returned: the FUSE reader does, after each request's handler.
// done() still never runs inside submit(), so bio.hpp's rule holds.
//
// Only the live FUSE path opens a batch. Scenarios and unit tests keep every completion a posted
// handler, so their event order, and every recorded seed, stay as they were.
//
// Threads: a batch belongs to the thread that opened it (the loop's); another thread (an
// IoWorker finishing a file Bio) finds none open and posts as before.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstddef>
#include <vector>

#include "emu/io/bio.hpp"

namespace dmemu::emu {

class CompletionBatch {
public:
    // Opens the batch for `ctx` on this thread, inside whatever batch was open (restored on close).
    explicit CompletionBatch(boost::asio::io_context& ctx);
    // Posts whatever run() has not run yet: a completion is never dropped.
    ~CompletionBatch();
    CompletionBatch(const CompletionBatch&) = delete;
    CompletionBatch& operator=(const CompletionBatch&) = delete;

    // The batch open on this thread for `ctx`, or nullptr.
    static CompletionBatch* open_for(boost::asio::io_context& ctx);

    void add(BioDone done, int err);
    // Runs the queued callbacks in order, and those they queue in turn, until none is left.
    void run();
    // How many callbacks run() has run since the batch was opened.
    std::size_t ran() const { return ran_; }

    struct Entry {
        BioDone done;
        int err;
    };

private:
    static thread_local std::vector<Entry> spare_;

    boost::asio::io_context& ctx_;
    CompletionBatch* outer_;
    std::vector<Entry> queue_;
    std::size_t next_ = 0;  // queue_[next_..] have not run
    std::size_t ran_ = 0;
};

// Runs done(err) after the current handler: in the open batch when there is one, else posted.
void finish_later(boost::asio::io_context& ctx, BioDone done, int err);

}  // namespace dmemu::emu
