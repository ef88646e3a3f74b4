// SPDX-License-Identifier: GPL-2.0-only
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/splice_reply.hpp"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <vector>

#include "emu/io/file_io.hpp"

namespace dmemu::emu {

namespace {

// sizeof(struct fuse_out_header) (include/uapi/linux/fuse.h): len, error, unique.
constexpr std::size_t kOutHeaderBytes = 16;
// What libfuse's fuse_send_data_iov wants in its pipe beside the data: pagesize * (header iovs +
// data buffers + 1) + the header.
std::size_t pipe_slack() { return 3 * static_cast<std::size_t>(::getpagesize()) + kOutHeaderBytes; }
// The largest request the front end accepts (kMaxWriteBytes in fuse_ops.cpp; reads are capped by
// the same max_pages).
constexpr std::size_t kLargestReply = 1u << 20;
// Below this a request costs more round trips than the splice saves copying.
constexpr std::size_t kMinSplit = 64u << 10;

}  // namespace

std::size_t probe_pipe_capacity(std::size_t want) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return 0;
    int got = ::fcntl(p[0], F_SETPIPE_SZ, static_cast<int>(want));
    if (got < 0) {
        std::size_t max = 0;
        std::ifstream("/proc/sys/fs/pipe-max-size") >> max;
        got = max > 0 ? ::fcntl(p[0], F_SETPIPE_SZ, static_cast<int>(max)) : -1;
    }
    ::close(p[0]);
    ::close(p[1]);
    return got > 0 ? static_cast<std::size_t>(got) : 0;
}

SpliceReplies::SpliceReplies() : SpliceReplies(probe_pipe_capacity(kLargestReply + pipe_slack())) {}

SpliceReplies::SpliceReplies(std::size_t pipe_capacity)
    : max_bytes_(pipe_capacity > pipe_slack() ? pipe_capacity - pipe_slack() : 0) {}

std::size_t SpliceReplies::read_split() const {
    if (max_bytes_ >= kLargestReply || max_bytes_ < kMinSplit) return 0;
    std::size_t split = kMinSplit;
    while (split * 2 <= max_bytes_) split *= 2;
    return split;
}

namespace {

int reply_copied(fuse_req_t req, const FileExtent& ext, std::size_t bytes) {
    thread_local std::vector<std::byte> copy;
    if (copy.size() < bytes) copy.resize(bytes);
    const std::int64_t got = read_at_most(ext.fd, copy.data(), bytes, ext.offset);
    if (got < 0) return fuse_reply_err(req, static_cast<int>(-got));
    return fuse_reply_buf(req, reinterpret_cast<const char*>(copy.data()),
                          static_cast<std::size_t>(got));
}

}  // namespace

int SpliceReplies::reply(fuse_req_t req, FileExtent ext, std::size_t bytes) {
    // fuse_send_data_iov: "if (total_buf_size < 2 * pagesize) goto fallback;"
    if (bytes < 2 * static_cast<std::size_t>(::getpagesize())) return reply_copied(req, ext, bytes);
    fuse_bufvec buf = FUSE_BUFVEC_INIT(bytes);
    buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
    buf.buf[0].fd = ext.fd;
    buf.buf[0].pos = static_cast<off_t>(ext.offset);
    return fuse_reply_data(req, &buf, static_cast<fuse_buf_copy_flags>(0));
}

}  // namespace dmemu::emu
