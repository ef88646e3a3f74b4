// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/daemon_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "emu/frontend/fuse_frontend.hpp"
#include "emu/frontend/mountpoint.hpp"

namespace dmemu::daemon {

DaemonPaths::DaemonPaths(std::string d)
    : dir(std::move(d)),
      socket(dir + "/control.sock"),
      ioctl_socket(dir + "/ioctl.sock"),
      lock(dir + "/dmemu.lock"),
      pid(dir + "/dmemu.pid"),
      log(dir + "/dmemu.log"),
      mnt(dir + "/mnt") {}

int acquire_daemon_lock(const DaemonPaths& paths, std::string* error) {
    std::error_code ec;
    std::filesystem::create_directories(paths.dir, ec);
    if (ec) {
        *error = fmt::format("cannot create directory {}: {}", paths.dir, ec.message());
        return -1;
    }
    const int fd = ::open(paths.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = fmt::format("cannot open {}: {}", paths.lock, std::strerror(errno));
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            const int pid = read_pid_file(paths);
            *error = pid > 0
                         ? fmt::format("a daemon (pid {}) is already running in {}", pid, paths.dir)
                         : fmt::format("a daemon is already running in {}", paths.dir);
        } else {
            *error = fmt::format("cannot lock {}: {}", paths.lock, std::strerror(err));
        }
        return -1;
    }
    if (!claim_mountpoint(paths, error)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

bool claim_mountpoint(const DaemonPaths& paths, std::string* error) {
    emu::MountpointProbe probe = emu::probe_mountpoint(paths.mnt);
    if (probe.state == emu::MountpointState::dead_fuse) {
        if (!emu::unmount_dead_fuse(paths.mnt, error)) return false;
        std::cerr << fmt::format(
            "dmemu: unmounted the dead FUSE mount at {} (a daemon died "
            "without unmounting)\n",
            paths.mnt);
        probe = emu::probe_mountpoint(paths.mnt);
    }
    if (probe.state == emu::MountpointState::unusable) {
        std::error_code ec;
        std::filesystem::create_directory(paths.mnt, ec);
        probe = emu::probe_mountpoint(paths.mnt);
    }
    switch (probe.state) {
        case emu::MountpointState::free:
            break;
        case emu::MountpointState::mounted:
            *error = fmt::format(
                "{} is in use: a file system ({}) is mounted there; unmount it "
                "or use another directory",
                paths.mnt, probe.fstype.empty() ? "unknown type" : probe.fstype);
            return false;
        case emu::MountpointState::dead_fuse:
        case emu::MountpointState::unusable:
            *error =
                fmt::format("cannot use {}: {}", paths.mnt,
                            probe.why.empty() ? "a dead FUSE mount is still there" : probe.why);
            return false;
    }
    if (std::string why; !emu::FuseFrontend::fuse_usable(&why))
        std::cerr << fmt::format("dmemu: warning: {}; devices will not appear under {}\n", why,
                                 paths.mnt);
    return true;
}

bool daemon_running(const DaemonPaths& paths) {
    const int fd = ::open(paths.lock.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return false;
    const bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // releases our lock if we got it
    return held;
}

int read_pid_file(const DaemonPaths& paths) {
    std::ifstream in(paths.pid);
    int pid = 0;
    if (!(in >> pid)) return 0;
    return pid;
}

bool write_pid_file(const DaemonPaths& paths, std::string* error) {
    const std::string tmp = paths.pid + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << ::getpid() << "\n";
        if (!out) {
            *error = fmt::format("cannot write {}", tmp);
            return false;
        }
    }
    if (::rename(tmp.c_str(), paths.pid.c_str()) != 0) {
        *error = fmt::format("cannot write {}: {}", paths.pid, std::strerror(errno));
        return false;
    }
    return true;
}

}  // namespace dmemu::daemon
