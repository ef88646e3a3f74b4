// SPDX-License-Identifier: GPL-2.0-only
// The FUSE low-level operations of the front end, wired in one table (shape after libfuse's
// example/passthrough_hp.cc). The session's userdata is a FuseState.
//
// A handler runs on a FUSE worker thread and never touches emulator state: what needs the
// DeviceMapper is posted to its loop, which answers the request when the work completes (the
// worker is free at once: held I/O of a suspended device occupies no thread). A write's data is
// copied out of the worker's buffer first, since libfuse reuses that buffer for the next
// request. What needs no emulator state (the fixed directories, RELEASE) is answered on the
// worker.
#pragma once

struct fuse_lowlevel_ops;

namespace dmemu::emu {

fuse_lowlevel_ops fuse_frontend_ops();

}  // namespace dmemu::emu
