// SPDX-License-Identifier: GPL-2.0-only
// The daemon's directory, DIR:
//   DIR/control.sock   the control socket (mode 0600)
//   DIR/ioctl.sock     the binary dm_ioctl endpoint (mode 0600) behind /dev/mapper/control in
//                      `dmemu exec`
//   DIR/dev, DIR/proc, DIR/sys  the device namespace `dmemu exec` shows (emu/frontend/dev_tree.hpp)
//   DIR/dmemu.lock     flock()ed by the live daemon for its whole life: "is a daemon running
//                      here" is "is this lock held", which survives crashes (no stale pid file
//                      can fool it)
//   DIR/dmemu.pid      the daemon's pid, for `dmemu stop` and humans
//   DIR/dmemu.log      the log of a daemonized run
//   DIR/mnt            where the FUSE front end mounts; a daemon killed without unmounting
//                      leaves a dead mount there, which the next `dmemu start` clears
#pragma once

#include <string>

namespace dmemu::daemon {

struct DaemonPaths {
    explicit DaemonPaths(std::string dir);
    std::string dir, socket, ioctl_socket, lock, pid, log, mnt;
};

// Creates DIR if needed, takes the lock, then readies DIR/mnt (claim_mountpoint). Returns the
// lock's fd (keep it open for the daemon's life; it is inherited across fork), or -1 with
// *error set: another daemon is live, DIR cannot be used, or DIR/mnt is in use.
int acquire_daemon_lock(const DaemonPaths& paths, std::string* error);
// With DIR's lock held (so no live daemon of ours serves DIR/mnt): creates DIR/mnt, unmounts a
// dead FUSE mount a crashed daemon left there (saying so on stderr), and refuses a live mount
// of anything else. When FUSE cannot be used here it warns on stderr and succeeds: the daemon
// then serves the control socket without the mount (its log repeats why).
bool claim_mountpoint(const DaemonPaths& paths, std::string* error);
// True when a daemon holds DIR's lock.
bool daemon_running(const DaemonPaths& paths);
// The pid in DIR/dmemu.pid, or 0.
int read_pid_file(const DaemonPaths& paths);
bool write_pid_file(const DaemonPaths& paths, std::string* error);

}  // namespace dmemu::daemon
