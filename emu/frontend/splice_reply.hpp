// SPDX-License-Identifier: GPL-2.0-only
// Answers a READ whose bytes lie in a file (BlockDevice::file_extent) by splice: file -> pipe ->
// /dev/fuse. The daemon touches none of the data and the kernel copies it once, into the reader's
// pages, as a read of the raw file does; the Bio path copies it twice (pread into our buffer,
// then the kernel's copy of the reply out of it).
//
// libfuse does the splicing (fuse_reply_data with an fd buffer, FUSE_CAP_SPLICE_WRITE) through a
// pipe of its own per thread, grown to fit each reply: 3 pages of slack + the 16-byte header +
// the data (its own heuristic). A pipe may grow past /proc/sys/fs/pipe-max-size (1 MiB by
// default) only with CAP_SYS_RESOURCE; a reply that does not fit would be copied through a
// freshly allocated buffer instead (page faults on every 1 MiB read), slower than the Bio path,
// so fits() tells the caller beforehand.
//
// Under two pages libfuse does not splice at all (fuse_send_data_iov's fallback): it allocates
// a page-aligned buffer per reply, reads the file into it and writes it. reply() does the same
// read into a buffer the thread keeps, so a 4 KiB read allocates nothing (issue #20).
//
// Threads: construct anywhere; reply() on the loop.
#pragma once

#include <cstddef>

#include "emu/io/block_device.hpp"

struct fuse_req;
typedef struct fuse_req* fuse_req_t;

namespace dmemu::emu {

class SpliceReplies {
public:
    // Probes the largest pipe this process may have.
    SpliceReplies();
    // With a pipe of `pipe_capacity` bytes at most (tests).
    explicit SpliceReplies(std::size_t pipe_capacity);
    // Called from INIT with whether the kernel takes spliced replies; off until then.
    void set_enabled(bool on) { enabled_ = on; }
    bool enabled() const { return enabled_; }
    // Whether a reply of `bytes` data goes through the pipe in one piece.
    bool fits(std::size_t bytes) const { return enabled_ && bytes <= max_bytes_; }
    std::size_t max_bytes() const { return max_bytes_; }
    // The max_read to mount with so that every read request fits the pipe: the largest power of
    // two that does, when the largest request (1 MiB) does not; 0 when it does (no limit), or
    // when the pipe is too small for splice to be worth a split (under 64 KiB).
    std::size_t read_split() const;
    // fuse_reply_data from `bytes` bytes of ext.fd at ext.offset (under two pages: pread, then
    // fuse_reply_buf): 0, or a negative errno when the reply could not be sent (libfuse has then
    // freed the request or answered it with the error, as fuse_reply_buf does). A read error is
    // answered with its errno, a short read with the bytes read, as libfuse answers either.
    static int reply(fuse_req_t req, FileExtent ext, std::size_t bytes);

private:
    bool enabled_ = false;
    std::size_t max_bytes_ = 0;
};

// The largest pipe (bytes) this process may have, asking the kernel on a scratch pipe: at least
// `want` when allowed (root), else /proc/sys/fs/pipe-max-size; 0 when pipes cannot grow at all.
std::size_t probe_pipe_capacity(std::size_t want);

}  // namespace dmemu::emu
