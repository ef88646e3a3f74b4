// SPDX-License-Identifier: GPL-2.0-only
// The FUSE front end: every device of a DeviceMapper as a regular file under one mount point,
// served with the libfuse3 low-level API on the DeviceMapper's own loop.
//
//   MOUNT/mapper/NAME   each mapped device (listed once it has a live table)
//   MOUNT/disks/NAME    each disk
//
// Threads: the session is served on the DeviceMapper's io_context (SessionReader): requests
// are read, handled and answered on the loop, so no emulator state is shared with another
// thread. mount() may be called from any thread. unmount() may be called on the loop thread,
// from another thread while the loop runs, or after the loop stopped; it answers EIO to
// whatever is still pending (I/O held by a suspended device). See docs/fuse.md.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

struct fuse_session;

namespace dmemu::emu {

class DeviceMapper;
struct FuseState;
class SessionReader;

struct FuseOptions {
    // Answer reads that lie in one file by splice (splice_reply.hpp); off: every read goes
    // through a Bio and a buffer (the benchmark's comparison, and a way around a kernel whose
    // splice misbehaves).
    bool splice = true;
    // Threads that send spliced replies of 64 KiB or more, so that the kernel's copy into the
    // reader's pages runs beside the loop (two replies at once on two threads); 0: every reply
    // is sent on the loop. See docs/fuse.md, "Splice threads".
    std::size_t splice_threads = 2;
};

class FuseFrontend {
public:
    // Mounts at `mountpoint` (an existing, empty directory that is not a mount point). On failure
    // returns nullptr and sets *error ("fuse: ..."). Needs no running loop: requests wait for it
    // (so the loop thread must never touch the mount itself).
    static std::unique_ptr<FuseFrontend> mount(DeviceMapper& dm, boost::asio::io_context& loop,
                                               std::string mountpoint, std::string* error,
                                               FuseOptions options = {});
    // Whether this process can mount FUSE file systems; when not, *why says what is missing.
    static bool fuse_usable(std::string* why);

    ~FuseFrontend();
    FuseFrontend(const FuseFrontend&) = delete;
    FuseFrontend& operator=(const FuseFrontend&) = delete;

    // Stops serving, answers pending requests EIO, unmounts. Idempotent.
    void unmount();
    const std::string& mountpoint() const { return mountpoint_; }
    // READs answered by splice so far (any thread), and how many of them from a splice thread.
    std::uint64_t spliced_reads() const;
    std::uint64_t thread_splices() const;
    // Writes written straight to a file extent, without a Bio (fuse_ops.cpp).
    std::uint64_t direct_writes() const;
    // The largest read answered by splice (the pipe's limit); 0 when splice is off.
    std::size_t splice_max_bytes() const;
    // Threads sending large spliced replies (FuseOptions::splice_threads); 0 when splice is off.
    std::size_t splice_threads() const;
    // The mount's max_read: the size the kernel splits reads at so that each fits the splice
    // pipe; 0 when it does not split them below 1 MiB.
    std::size_t max_read() const;

private:
    FuseFrontend() = default;

    std::string mountpoint_;
    std::shared_ptr<FuseState> state_;  // the session's userdata
    fuse_session* session_ = nullptr;
    std::shared_ptr<SessionReader> reader_;  // serves the session on the loop
    bool mounted_ = false;
};

}  // namespace dmemu::emu
