// SPDX-License-Identifier: GPL-2.0-only
// Serves a FUSE session on the emulator's loop: waits for /dev/fuse to be readable, reads the
// queued requests (non-blocking) and processes each one right there, so a request reaches the
// DeviceMapper with no thread hand-off and its answer leaves from the loop when its work
// completes. (A pool of libfuse worker threads that posted every request to the loop spent most
// of its time waking threads: docs/performance.md.)
//
// Each request is read into a pooled buffer; a large write keeps that buffer as its data (no
// copy), and the next request is read into a fresh one.
//
// Completions that a request's work finishes on the loop (a file write's pwrite, a zero or error
// target) run right after its handler, in the same step: the reader holds a CompletionBatch.
// A request still unanswered after that (its I/O went to a thread or a timer) ends the loop
// step: the next request is read in a step posted behind, so that the answer leaves before the
// next request is read. Reading on instead held every write's answer until the whole batch had
// been read, and the writer idled meanwhile (4 KiB random writes +30-45 %, docs/fuse.md).
//
// Threads: everything on the loop; start() and stop() may be called from any thread.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <memory>

struct fuse_session;

namespace dmemu::emu {

struct FuseState;

class SessionReader : public std::enable_shared_from_this<SessionReader> {
public:
    // `se` is mounted; it must outlive the reader's stop().
    SessionReader(fuse_session* se, std::shared_ptr<FuseState> state);
    void start();
    // Stops reading; once it returns the loop no longer uses the session. On the loop thread,
    // or when the loop has stopped, at once; from another thread it posts to the loop and
    // waits, so the loop must be running (a loop never run yet would make it wait for ever).
    // Requests left in /dev/fuse are failed by the unmount.
    void stop();

private:
    void wait_readable();
    // Reads and processes up to `left` requests in this and later loop steps.
    void read_batch(int left);
    void stop_on_loop();

    fuse_session* se_;
    std::shared_ptr<FuseState> state_;
    boost::asio::posix::stream_descriptor readable_;  // a dup of the session fd, for epoll only
    bool stopped_ = false;                            // loop only
};

}  // namespace dmemu::emu
