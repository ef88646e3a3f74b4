// SPDX-License-Identifier: GPL-2.0-only
// The FUSE low-level operations of the front end, wired in one table (shape after libfuse's
// example/passthrough_hp.cc). The session's userdata is a FuseState.
//
// Every handler runs on the emulator's loop (SessionReader reads the requests there), so it may
// use the DeviceMapper directly; a request whose work waits (held I/O of a suspended device, a
// file write on the IoWorker) keeps its Reply and is answered when the work completes, without
// holding any thread. A write's data stays in the reader's buffer only while the handler runs:
// a large write adopts that buffer, a small one is copied. Large spliced read replies are sent
// from the splice threads (fuse_ops.cpp: splice_on_thread); nothing else leaves the loop.
#pragma once

struct fuse_lowlevel_ops;

namespace dmemu::emu {

fuse_lowlevel_ops fuse_frontend_ops();

}  // namespace dmemu::emu
