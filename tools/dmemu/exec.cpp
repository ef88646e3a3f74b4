// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/exec.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

#include "emu/ioctl/ioctl_wire.h"
#include "tools/dmemu/lvm_config.hpp"

namespace dmemu::exec {

namespace {

constexpr const char* kLibraryName = "libdmemu-preload.so";

// Empty when something listens on the socket; otherwise why not, or "" + an ordinary errno (no
// socket, nobody listening) in *err.
std::string probe_socket(const std::string& path, int* err) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path)) return "socket path '" + path + "' is too long";
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return std::string("socket: ") + std::strerror(errno);
    const int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    *err = r == 0 ? 0 : errno;
    ::close(fd);
    // EAGAIN: the listen backlog is full, so a daemon is there.
    if (r == 0 || *err == EAGAIN || *err == ENOENT || *err == ECONNREFUSED) return {};
    return "connect " + path + ": " + std::strerror(*err);
}

// DIR is served by a daemon (DIR/ioctl.sock), or only by a netlink connector: `dmemu run
// --log-server cmirrord` has no dm ioctls to offer the cmirrord it starts, only the connector.
// That one is not connected to: a connection counts as a listener (connector.listeners), which
// tools/cmirrord/run.sh is watching for cmirrord's own.
std::string probe_daemon(const std::string& dir, int* err) {
    std::string why = probe_socket(dir + "/" + DMEMU_WIRE_SOCKET, err);
    struct stat st {};
    if (why.empty() && *err == ENOENT && ::stat((dir + "/connector.sock").c_str(), &st) == 0 &&
        S_ISSOCK(st.st_mode))
        *err = 0;
    return why;
}

// The library: $DMEMU_PRELOAD; beside the build tree's dmemu (build/tools/preload/); the
// install's LIBDIR/dmemu relative to this binary, then as configured.
std::string find_library(std::string* looked) {
    if (const char* env = std::getenv("DMEMU_PRELOAD"); env && *env) return env;
    std::vector<std::filesystem::path> candidates;
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        candidates.push_back(self.parent_path() / "preload" / kLibraryName);
        candidates.push_back(self.parent_path() / DMEMU_PRELOAD_FROM_BINDIR);
    }
    candidates.emplace_back(DMEMU_PRELOAD_INSTALLED);
    for (const auto& c : candidates) {
        if (::access(c.c_str(), R_OK) == 0) return c.lexically_normal().string();
        *looked += (looked->empty() ? "" : ", ") + c.lexically_normal().string();
    }
    return {};
}

// execvp reports EACCES when some PATH directory was not searchable even if CMD is nowhere;
// a shell says "not found" (127) then, and "permission denied" (126) only for a file it found.
bool found_in_path(const std::string& name) {
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), F_OK) == 0;
    const char* path = std::getenv("PATH");
    const std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
        const std::size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
        if (::access((dir + "/" + name).c_str(), F_OK) == 0) return true;
        start = end + 1;
    }
    return false;
}

constexpr const char* kUsage = "dmemu exec DIR [--] CMD [ARGS...]";
constexpr const char* kHelp =
    "Runs CMD, unmodified and as you (the real dmsetup, dd, mkfs.ext4), seeing the devices of\n"
    "the daemon serving DIR: /dev/mapper, /dev/dm-N, its disks, /proc/devices and /sys.\n"
    "CMD gets DMEMU_DIR=DIR, DM_DISABLE_UDEV=1, no DM_DEV_DIR, and libdmemu-preload.so in front\n"
    "of LD_PRELOAD ($DMEMU_PRELOAD, else the one beside this dmemu, else the installed one in\n"
    "LIBDIR/dmemu). Statically linked programs see the host. LVM2's tools get\n"
    "LVM_SYSTEM_DIR=DIR/etc/lvm (unless set; lvm.conf is written at the first exec: name PVs as\n"
    "DIR/dev/NAME or DIR/dev/mapper/NAME) and LVM_SUPPRESS_FD_WARNINGS=1.\n";

}  // namespace

ExecCommand::ExecCommand(CLI::App& app) {
    exec_ = app.add_subcommand("exec", "run CMD seeing the devices of the daemon serving DIR");
    // Every word after `exec` is ours to read: CLI11 would take CMD's own options (and a `--`
    // after DIR) for dmemu's. So no options, no help flag: run() reads DIR, `--` and --help.
    exec_->prefix_command();
    exec_->set_help_flag();
}

std::optional<int> ExecCommand::run_if_selected() {
    if (!*exec_) return std::nullopt;
    return run();
}

int ExecCommand::run() {
    std::vector<std::string> command = exec_->remaining();
    if (!command.empty() && (command.front() == "--help" || command.front() == "-h")) {
        std::cout << "Usage: " << kUsage << "\n" << kHelp;
        return 0;
    }
    if (!command.empty() && command.front() == "--") command.erase(command.begin());
    std::string dir_arg;
    if (!command.empty()) {
        dir_arg = command.front();
        command.erase(command.begin());
    }
    if (!command.empty() && command.front() == "--") command.erase(command.begin());
    if (dir_arg.empty() || command.empty()) {
        std::cerr << "dmemu exec: " << (dir_arg.empty() ? "no DIR" : "no command")
                  << " given: " << kUsage << "\n";
        return 2;
    }
    std::error_code ec;
    std::string dir = std::filesystem::absolute(dir_arg, ec).lexically_normal().string();
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    int err = 0;
    const std::string why = probe_daemon(dir, &err);
    if (!why.empty() || err == ENOENT || err == ECONNREFUSED) {
        std::cerr << "dmemu exec: no daemon serving " << dir
                  << (why.empty() ? "" : " (" + why + ")") << ": start one with 'dmemu start "
                  << dir << "'\n";
        return 1;
    }
    std::string looked;
    const std::string library = find_library(&looked);
    if (library.empty()) {
        std::cerr << "dmemu exec: cannot find " << kLibraryName << " (looked at " << looked
                  << "): set DMEMU_PRELOAD to its path\n";
        return 1;
    }
    // LVM2's tools read DIR's lvm.conf (lvm_config.hpp), unless the caller chose another.
    if (const std::string err = ensure_lvm_config(dir); !err.empty())
        std::cerr << "dmemu exec: warning: " << err
                  << ": LVM commands will not find their configuration\n";
    ::setenv("LVM_SYSTEM_DIR", (dir + "/etc/lvm").c_str(), 0);
    // LVM warns about every fd it inherits; a test harness or a shell's redirections are not leaks.
    ::setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 0);
    const char* old_preload = std::getenv("LD_PRELOAD");
    const std::string preload = old_preload && *old_preload ? library + ":" + old_preload : library;
    ::setenv("DMEMU_DIR", dir.c_str(), 1);
    ::setenv("DM_DISABLE_UDEV", "1", 1);
    ::unsetenv("DM_DEV_DIR");  // libdevmapper's /dev is what the library maps
    ::setenv("LD_PRELOAD", preload.c_str(), 1);

    std::vector<char*> argv;
    for (auto& a : command) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    err = errno;
    if (err == EACCES && !found_in_path(command.front())) err = ENOENT;
    std::cerr << "dmemu exec: " << command.front() << ": " << std::strerror(err) << "\n";
    return err == ENOENT ? 127 : 126;
}

}  // namespace dmemu::exec
