// SPDX-License-Identifier: GPL-2.0-only
// The daemon proper: one io_context (concurrency hint 1) owning the DeviceMapper, its clock
// (RealClock), its randomness (one Rng from --seed), its kernel log and the kernel end of the
// userspace-log connector (a SOCK_SEQPACKET client of dmemu-ulogd); the control server and
// the FUSE front end hand it work. SIGINT, SIGTERM and the control message "shutdown" stop it
// cleanly: no new clients, DeviceMapper::shutdown() (every table's dtr), the front end
// unmounted (off the loop), socket and pid file removed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "tools/dmemu/daemon_dir.hpp"

namespace dmemu::daemon {

struct DaemonOptions {
    std::string dir;
    bool foreground = false;
    std::uint32_t dm_major = 253;  // the kernel's usual dynamic major; the oracle guest had 254
    std::string log_level = "info";
    std::uint64_t seed = 1;
    // The log server's socket (dmemu-ulogd --socket PATH) that userspace dirty logs consult;
    // empty: DIR/ulogd.sock. Nothing needs to listen there: with no server, requests fail
    // with -ESRCH and the log's reconnect path runs, as with no cmirrord in the kernel.
    std::string ulogd_socket;
    // Reads of devices that lie in one backing file are answered by splice (docs/fuse.md).
    bool fuse_splice = true;
    // Threads sending large spliced replies (emu::FuseOptions::splice_threads).
    std::size_t fuse_splice_threads = 2;
    // Userspace-log requests go out of the netlink connector (DIR/connector.sock, the socket
    // libdmemu-preload.so gives a NETLINK_CONNECTOR socket) instead of to ulogd_socket.
    bool netlink = false;
    // The log server started and stopped with the daemon: "", "dmemu", "cmirrord" or
    // "cmirrord-legacy" (log_server_launcher.hpp), or kInProcessLogServer (dmemu's engine on the
    // daemon's own loop); cmirrord_dir: where the cmirrord binaries are.
    std::string log_server;
    std::string cmirrord_dir;
    // A JSON line per device-mapper operation goes here (ioctl_trace.hpp); empty: none.
    std::string ioctl_trace;
};

inline constexpr const char* kInProcessLogServer = "in-process";

// Runs until shutdown; returns the exit code. `ready` is called once: with "" when the control
// socket accepts connections, or with the reason startup failed. The caller holds DIR's lock.
int run_daemon(const DaemonOptions& opts, const DaemonPaths& paths,
               const std::function<void(const std::string& error)>& ready);

// `dmemu stop DIR`: asks the daemon to shut down (control message, else SIGTERM to the pid in
// the pid file) and waits for it to exit. Messages go to stderr; returns the exit code.
int stop_daemon(const DaemonPaths& paths, double timeout_seconds);

}  // namespace dmemu::daemon
