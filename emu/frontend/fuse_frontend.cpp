// SPDX-License-Identifier: GPL-2.0-only
// Mounting and unmounting the front end (see fuse_frontend.hpp, docs/fuse.md); the operations
// are in fuse_ops.cpp, the session's state in fuse_state.cpp.
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/fuse_frontend.hpp"

#include <fuse3/fuse_lowlevel.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/frontend/fuse_ops.hpp"
#include "emu/frontend/fuse_preflight.hpp"
#include "emu/frontend/fuse_state.hpp"
#include "emu/frontend/on_loop.hpp"
#include "emu/frontend/session_reader.hpp"
#include "emu/io/io_worker.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

std::unique_ptr<FuseFrontend> FuseFrontend::mount(DeviceMapper& dm, asio::io_context& loop,
                                                  std::string mountpoint, std::string* error,
                                                  FuseOptions options) {
    std::string why;
    if (!check_dev_fuse(&why) || !check_mountpoint(mountpoint, &why)) {
        if (error) *error = why;
        return nullptr;
    }
    std::unique_ptr<FuseFrontend> fe(new FuseFrontend);
    fe->mountpoint_ = std::move(mountpoint);
    fe->state_ = std::make_shared<FuseState>(dm, loop);
    fe->state_->splice_wanted_ = options.splice;
    if (options.splice && options.splice_threads > 0)
        fe->state_->splice_threads_ = std::make_unique<IoWorker>(options.splice_threads);

    std::string opts = "default_permissions,fsname=dmemu,subtype=dmemu";
    if (geteuid() == 0 || user_allow_other()) opts += ",allow_other";
    if (options.splice) {
        fe->state_->max_read_ = fe->state_->splice_.read_split();
        if (fe->state_->max_read_ != 0)
            opts += ",max_read=" + std::to_string(fe->state_->max_read_);
    }
    std::vector<std::string> argv_s = {"dmemu", "-o", opts};
    if (std::getenv("DMEMU_FUSE_DEBUG")) argv_s.push_back("-d");
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
    const fuse_lowlevel_ops ops = fuse_frontend_ops();
    fe->session_ = fuse_session_new(&args, &ops, sizeof ops, fe->state_.get());
    fuse_opt_free_args(&args);
    if (fe->session_ == nullptr) {
        if (error) *error = "fuse: could not create the session (options '" + opts + "')";
        return nullptr;
    }
    if (fuse_session_mount(fe->session_, fe->mountpoint_.c_str()) != 0) {
        if (error)
            *error = "fuse: mount on '" + fe->mountpoint_ + "' failed (libfuse said why on stderr)";
        fuse_session_destroy(fe->session_);
        fe->session_ = nullptr;
        return nullptr;
    }
    fe->mounted_ = true;
    // The subscription outlives us (DeviceMapper has no unsubscribe): it holds a weak reference.
    asio::post(loop, [&dm, weak = std::weak_ptr<FuseState>(fe->state_)] {
        dm.subscribe([weak](const DeviceEvent& ev) {
            if (auto s = weak.lock()) s->on_event(ev);
        });
    });
    fe->reader_ = std::make_shared<SessionReader>(fe->session_, fe->state_);
    fe->reader_->start();
    return fe;
}

void FuseFrontend::unmount() {
    if (!mounted_) return;
    mounted_ = false;
    reader_->stop();
    reader_.reset();
    // No request is read any more: the splice threads send what they were given and exit. Each
    // frees its libfuse pipe as it exits, which it must do before the session is destroyed.
    state_->splice_threads_.reset();
    // Whatever has not been answered yet (I/O held by a suspended device) is answered EIO now;
    // its Bios finish later into buffers the front end owns, and their answers are dropped.
    state_->replies_->close_all(-EIO);
    fuse_session_unmount(session_);
    // On the loop thread: libfuse keeps its splice pipe per thread (reads by splice ran on the
    // loop) and frees only the destroying thread's.
    run_on_loop(state_->loop_, [this] { fuse_session_destroy(session_); });
    session_ = nullptr;
}

FuseFrontend::~FuseFrontend() { unmount(); }

std::size_t FuseFrontend::splice_max_bytes() const {
    return state_->splice_wanted_ ? state_->splice_.max_bytes() : 0;
}

std::size_t FuseFrontend::splice_threads() const {
    return state_->splice_threads_ ? state_->splice_threads_->threads() : 0;
}

std::size_t FuseFrontend::max_read() const { return state_->max_read_; }

std::uint64_t FuseFrontend::spliced_reads() const {
    return state_->spliced_reads_.load(std::memory_order_relaxed);
}

std::uint64_t FuseFrontend::thread_splices() const {
    return state_->thread_splices_.load(std::memory_order_relaxed);
}

std::uint64_t FuseFrontend::direct_writes() const {
    return state_->direct_writes_.load(std::memory_order_relaxed);
}

}  // namespace dmemu::emu
