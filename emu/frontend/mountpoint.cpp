// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/mountpoint.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace dmemu::emu {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
std::string unescape_mountinfo(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const std::string oct = s.substr(i + 1, 3);
            if (oct.find_first_not_of("01234567") == std::string::npos) {
                out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
                i += 3;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

// The file system type of the topmost mount at `path`, or "" when nothing is mounted there.
std::string mounted_fstype(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line, found;
    while (std::getline(in, line)) {
        // id parent major:minor root MOUNTPOINT options... - FSTYPE source superoptions
        std::istringstream fields(line);
        std::string id, parent, devno, root, mount_point;
        if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
        if (unescape_mountinfo(mount_point) != path) continue;
        const auto sep = line.find(" - ");
        if (sep == std::string::npos) continue;
        std::istringstream tail(line.substr(sep + 3));
        std::string fstype;
        if (tail >> fstype) found = fstype;  // later lines are mounted on top of earlier ones
    }
    return found;
}

bool is_fuse(const std::string& fstype) {
    return fstype == "fuse" || fstype.rfind("fuse.", 0) == 0;
}

// Runs a program found on PATH; returns its exit status (-1 when it could not run or was
// killed) and what it wrote to stderr.
int run_capturing_stderr(const std::vector<std::string>& argv_s, std::string* err) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        *err = std::strerror(errno);
        return -1;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (const auto& a : argv_s) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_err = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipefd[1]);
    if (spawn_err != 0) {
        ::close(pipefd[0]);
        *err = argv_s[0] + ": " + std::strerror(spawn_err);
        return -1;
    }
    char buf[512];
    for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        err->append(buf, static_cast<std::size_t>(n));
    }
    ::close(pipefd[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    while (!err->empty() && err->back() == '\n') err->pop_back();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool unmount_once(const std::string& path, std::string* why) {
    if (::geteuid() == 0) {
        if (::umount2(path.c_str(), MNT_DETACH) == 0) return true;
        // uid 0 without CAP_SYS_ADMIN (a user namespace): fusermount3 may still do it.
        if (errno != EPERM) {
            *why = std::strerror(errno);
            return false;
        }
    }
    std::string err;
    const int rc = run_capturing_stderr({"fusermount3", "-u", "-z", "--", path}, &err);
    if (rc == 0) return true;
    *why = err.empty() ? "fusermount3 -u -z failed" : err;
    return false;
}

}  // namespace

MountpointProbe probe_mountpoint(const std::string& path) {
    MountpointProbe p;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int e = errno;
        p.fstype = e == ENOTCONN ? mounted_fstype(path) : "";
        if (e == ENOTCONN && is_fuse(p.fstype)) {
            p.state = MountpointState::dead_fuse;
        } else {
            p.state = MountpointState::unusable;
            p.why = std::strerror(e);
        }
        return p;
    }
    if (!S_ISDIR(st.st_mode)) {
        p.why = "not a directory";
        return p;
    }
    p.fstype = mounted_fstype(path);
    struct stat parent {};
    const bool other_device = ::stat((path + "/..").c_str(), &parent) == 0 &&
                              (parent.st_dev != st.st_dev || parent.st_ino == st.st_ino);
    p.state = !p.fstype.empty() || other_device ? MountpointState::mounted : MountpointState::free;
    return p;
}

bool unmount_dead_fuse(const std::string& path, std::string* error) {
    // A server that crashed more than once may have left dead mounts stacked on each other.
    for (int layer = 0; layer < 8; ++layer) {
        if (probe_mountpoint(path).state != MountpointState::dead_fuse) return true;
        std::string why;
        if (!unmount_once(path, &why)) {
            *error = "fuse: cannot unmount the dead mount at '" + path + "': " + why;
            return false;
        }
    }
    *error = "fuse: '" + path + "' still has a dead FUSE mount after 8 unmounts";
    return false;
}

}  // namespace dmemu::emu
