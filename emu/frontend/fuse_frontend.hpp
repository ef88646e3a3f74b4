// SPDX-License-Identifier: GPL-2.0-only
// The FUSE front end: every device of a DeviceMapper as a regular file under one mount point,
// served by the libfuse3 low-level API on libfuse's own worker threads.
//
//   MOUNT/mapper/NAME   each mapped device (listed once it has a live table)
//   MOUNT/disks/NAME    each disk
//
// Threads: FUSE workers never touch emulator state. Each request posts its work to the
// DeviceMapper's io_context and waits for the completion, then replies from the worker.
// mount() and unmount() may be called from any thread except that unmount() must not run on
// the loop thread while a write to a device is in flight there (the write's data is FUSE's own
// buffer, so the worker waits for the Bio to complete). See docs/fuse.md.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

struct fuse_session;

namespace dmemu::emu {

class DeviceMapper;
struct FuseState;

class FuseFrontend {
public:
    // Mounts at `mountpoint` (an existing, empty directory that is not a mount point). On failure
    // returns nullptr and sets *error ("fuse: ..."). Needs no running loop: requests wait for it.
    static std::unique_ptr<FuseFrontend> mount(DeviceMapper& dm, boost::asio::io_context& loop,
                                               std::string mountpoint, std::string* error);
    // Whether this process can mount FUSE file systems; when not, *why says what is missing.
    static bool fuse_usable(std::string* why);

    ~FuseFrontend();
    FuseFrontend(const FuseFrontend&) = delete;
    FuseFrontend& operator=(const FuseFrontend&) = delete;

    // Stops serving, unmounts, joins the worker threads. Idempotent.
    void unmount();
    const std::string& mountpoint() const { return mountpoint_; }

private:
    FuseFrontend() = default;

    std::string mountpoint_;
    std::shared_ptr<FuseState> state_;  // the session's userdata
    fuse_session* session_ = nullptr;
    std::thread loop_thread_;  // runs fuse_session_loop_mt, which starts the workers
    bool mounted_ = false;
};

}  // namespace dmemu::emu
