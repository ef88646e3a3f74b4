// SPDX-License-Identifier: GPL-2.0-only
// The daemon's directory, DIR:
//   DIR/control.sock   the control socket (mode 0600)
//   DIR/dmemu.lock     flock()ed by the live daemon for its whole life: "is a daemon running
//                      here" is "is this lock held", which survives crashes (no stale pid file
//                      can fool it)
//   DIR/dmemu.pid      the daemon's pid, for `dmemu stop` and humans
//   DIR/dmemu.log      the log of a daemonized run
//   DIR/mnt            where the FUSE front end mounts
#pragma once

#include <string>

namespace dmemu::daemon {

struct DaemonPaths {
    explicit DaemonPaths(std::string dir);
    std::string dir, socket, lock, pid, log, mnt;
};

// Creates DIR if needed and takes the lock. Returns the lock's fd (keep it open for the
// daemon's life; it is inherited across fork), or -1 with *error set: another daemon is live,
// or DIR cannot be used.
int acquire_daemon_lock(const DaemonPaths& paths, std::string* error);
// True when a daemon holds DIR's lock.
bool daemon_running(const DaemonPaths& paths);
// The pid in DIR/dmemu.pid, or 0.
int read_pid_file(const DaemonPaths& paths);
bool write_pid_file(const DaemonPaths& paths, std::string* error);

}  // namespace dmemu::daemon
