// SPDX-License-Identifier: GPL-2.0-only
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/fuse_preflight.hpp"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#include "emu/frontend/fuse_frontend.hpp"
#include "emu/frontend/mountpoint.hpp"

namespace dmemu::emu {

namespace {

// Whether the kernel's no_new_privs bit is set on us: then exec of a setuid program gains nothing
// (docker --security-opt no-new-privileges, systemd NoNewPrivileges=).
bool no_new_privs() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("NoNewPrivs:", 0) == 0) return line.find('1') != std::string::npos;
    return false;
}

}  // namespace

bool user_allow_other() {
    std::ifstream conf("/etc/fuse.conf");
    std::string line;
    while (std::getline(conf, line))
        if (line.rfind("user_allow_other", 0) == 0) return true;
    return false;
}

bool check_dev_fuse(std::string* why) {
    const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return true;
    }
    const int e = errno;
    if (e == ENOENT)
        *why =
            "fuse: /dev/fuse is missing (load the fuse module, or give the container the device)";
    else if (e == EACCES || e == EPERM)
        *why = "fuse: /dev/fuse: permission denied";
    else
        *why = std::string("fuse: /dev/fuse: ") + std::strerror(e);
    return false;
}

// An unprivileged mount goes through libfuse's helper, which must be installed setuid root.
bool fusermount3_usable(std::string* why) {
    if (no_new_privs()) {
        *why =
            "fuse: not root and no_new_privs is set, so the setuid fusermount3 cannot mount "
            "(a container run with no-new-privileges?)";
        return false;
    }
    for (const char* path : {"/usr/bin/fusermount3", "/bin/fusermount3"}) {
        struct stat st;
        if (::stat(path, &st) != 0) continue;
        if (st.st_uid == 0 && (st.st_mode & S_ISUID) && ::access(path, X_OK) == 0) return true;
        *why = std::string("fuse: not root and ") + path +
               " is not setuid root (a FUSE mount needs it: chmod u+s " + path + ")";
        return false;
    }
    *why = "fuse: not root and fusermount3 is not installed (Debian package fuse3)";
    return false;
}

bool check_mountpoint(const std::string& mp, std::string* why) {
    const MountpointProbe p = probe_mountpoint(mp);
    switch (p.state) {
        case MountpointState::free:
            return true;
        case MountpointState::unusable:
            *why = p.why == "not a directory" ? "fuse: mountpoint '" + mp + "' is not a directory"
                                              : "fuse: mountpoint '" + mp + "': " + p.why;
            return false;
        case MountpointState::dead_fuse:
            *why = "fuse: mountpoint '" + mp + "' is a dead FUSE mount (its server exited): " +
                   "unmount it with `fusermount3 -u " + mp + "`";
            return false;
        case MountpointState::mounted:
            *why = "fuse: mountpoint '" + mp + "' is busy (already a mount point" +
                   (p.fstype.empty() ? "" : ": " + p.fstype) + ")";
            return false;
    }
    return false;
}

bool FuseFrontend::fuse_usable(std::string* why) {
    std::string reason;
    if (!check_dev_fuse(&reason)) {
        if (why) *why = reason;
        return false;
    }
    if (geteuid() != 0 && !fusermount3_usable(&reason)) {
        if (why) *why = reason;
        return false;
    }
    // The only true test is a mount: containers often have /dev/fuse but no mount permission.
    const char* tmpdir = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/dmemu-fuse-probe-XXXXXX";
    char* dir = tmpl.data();
    if (::mkdtemp(dir) == nullptr) {
        if (why) *why = std::string("fuse: probe directory: ") + std::strerror(errno);
        return false;
    }
    std::vector<std::string> argv_s = {"dmemu-probe"};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(1, argv.data());
    fuse_lowlevel_ops ops{};
    fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, nullptr);
    fuse_opt_free_args(&args);
    bool ok = se != nullptr && fuse_session_mount(se, dir) == 0;
    if (se) {
        if (ok) fuse_session_unmount(se);
        fuse_session_destroy(se);
    }
    ::rmdir(dir);
    if (!ok && why) *why = "fuse: a test mount failed (no permission to mount FUSE here?)";
    return ok;
}

}  // namespace dmemu::emu
