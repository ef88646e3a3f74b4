// SPDX-License-Identifier: GPL-2.0-only
#include "tests/preload/preload_fixture.hpp"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "emu/ioctl/ioctl_wire.h"
#include "tests/cli/subprocess.hpp"

namespace dmemu::preload_test {

namespace fs = std::filesystem;

extern "C" char** environ;

RunResult run(const std::vector<std::string>& argv, const EnvChanges& env, const std::string& cwd,
              std::chrono::milliseconds timeout) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
        const std::string entry(*e);
        const std::string name = entry.substr(0, entry.find('='));
        bool changed = false;
        for (const auto& [key, value] : env) changed = changed || key == name;
        if (!changed) env_strings.push_back(entry);
    }
    for (const auto& [key, value] : env)
        if (value) env_strings.push_back(key + "=" + *value);
    std::vector<char*> envp, args;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_copy = argv;
    for (auto& a : argv_copy) args.push_back(a.data());
    args.push_back(nullptr);

    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
        ::execvpe(args[0], args.data(), envp.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    RunResult r;
    if (!cli_test::drain_output(out[0], err[0], &r.out, &r.err,
                                std::chrono::steady_clock::now() + timeout)) {
        r.timed_out = true;
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// ---- the fake daemon ------------------------------------------------------------------------

FakeIoctlServer::FakeIoctlServer(const std::string& socket_path, bool hang_up) : hang_up_(hang_up) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof(addr.sun_path))
        throw std::runtime_error("socket path too long: " + socket_path);
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) ||
        ::listen(listen_fd_, 16) || ::pipe2(stop_, O_CLOEXEC))
        throw std::runtime_error("fake ioctl server: " + std::string(std::strerror(errno)));
    thread_ = std::thread([this] { loop(); });
}

FakeIoctlServer::~FakeIoctlServer() {
    [[maybe_unused]] auto n = ::write(stop_[1], "x", 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(stop_[0]);
    ::close(stop_[1]);
}

std::vector<FakeIoctlServer::Request> FakeIoctlServer::requests() {
    std::lock_guard lock(mutex_);
    return requests_;
}

void FakeIoctlServer::loop() {
    std::vector<pollfd> fds = {{stop_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (;;) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (fds[0].revents) break;
        if (fds[1].revents & POLLIN) {
            const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) fds.push_back({c, POLLIN, 0});
        }
        for (std::size_t k = 2; k < fds.size();) {
            if (fds[k].revents && !serve(fds[k].fd)) {
                ::close(fds[k].fd);
                fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(k));
            } else {
                ++k;
            }
        }
    }
    for (std::size_t k = 2; k < fds.size(); ++k) ::close(fds[k].fd);
}

static bool read_full(int fd, void* buf, std::size_t len) {
    for (std::size_t done = 0; done < len;) {
        const ssize_t n = ::read(fd, static_cast<char*>(buf) + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

static bool write_full(int fd, const void* buf, std::size_t len) {
    for (std::size_t done = 0; done < len;) {
        const ssize_t n =
            ::send(fd, static_cast<const char*>(buf) + done, len - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// One request and its reply; false when the connection is over.
bool FakeIoctlServer::serve(int fd) {
    dmemu_wire_request head{};
    if (!read_full(fd, &head, sizeof(head)) || head.magic != DMEMU_WIRE_REQUEST_MAGIC) return false;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back({head.command, head.length});
    }
    if (hang_up_) return false;
    std::vector<char> body(head.length);
    if (!read_full(fd, body.data(), body.size())) return false;
    auto* dmi = reinterpret_cast<dm_ioctl*>(body.data());
    const std::uint32_t version[3] = {4, 47, 0};
    std::memcpy(dmi->version, version, sizeof(version));
    dmemu_wire_reply reply{DMEMU_WIRE_REPLY_MAGIC, 0, sizeof(version), 0};
    if (head.command == DM_LIST_DEVICES && body.size() >= sizeof(dm_ioctl) + sizeof(dm_name_list)) {
        dmi->data_start = sizeof(dm_ioctl);
        std::memset(body.data() + sizeof(dm_ioctl), 0, sizeof(dm_name_list));  // dev 0: none
        reply.length = head.length;
    } else if (head.command != DM_VERSION) {
        reply.result = -ENXIO;
    }
    return write_full(fd, &reply, sizeof(reply)) && write_full(fd, body.data(), reply.length);
}

// ---- the DIR --------------------------------------------------------------------------------

namespace {

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

void symlink_to(const std::string& target, const fs::path& link) {
    fs::create_directories(link.parent_path());
    fs::create_symlink(target, link);
}

void sized_file(const fs::path& path, std::size_t bytes, char fill) {
    fs::create_directories(path.parent_path());
    std::ofstream f(path, std::ios::binary);
    if (fill == 0) {
        f.close();
        fs::resize_file(path, bytes);
        return;
    }
    const std::string block(4096, fill);
    for (std::size_t done = 0; done < bytes; done += block.size()) f << block;
}

struct Queue {
    unsigned logical, physical, min_io, opt_io;
};

// DIR/sys/block/KNAME as the daemon keeps it, and DIR/sys/dev/block/MAJ:MIN pointing at it.
void sys_device(const fs::path& dir, const std::string& kname, const std::string& devno,
                unsigned long long sectors, const Queue& q) {
    const fs::path d = dir / "sys" / "block" / kname;
    write_file(d / "dev", devno + "\n");
    write_file(d / "size", std::to_string(sectors) + "\n");
    write_file(d / "ro", "0\n");
    write_file(d / "bdi" / "read_ahead_kb", "128\n");
    write_file(d / "queue" / "logical_block_size", std::to_string(q.logical) + "\n");
    write_file(d / "queue" / "physical_block_size", std::to_string(q.physical) + "\n");
    write_file(d / "queue" / "minimum_io_size", std::to_string(q.min_io) + "\n");
    write_file(d / "queue" / "optimal_io_size", std::to_string(q.opt_io) + "\n");
    symlink_to("../../block/" + kname, dir / "sys" / "dev" / "block" / devno);
}

void dm_device(const fs::path& dir, const std::string& name, unsigned minor) {
    const std::string kname = "dm-" + std::to_string(minor);
    write_file(dir / "sys" / "block" / kname / "dm" / "name", name + "\n");
    write_file(dir / "sys" / "block" / kname / "dm" / "uuid", "\n");
    write_file(dir / "sys" / "block" / kname / "dm" / "suspended", "0\n");
}

}  // namespace

void PreloadTest::SetUp() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = (fs::path(tmp && *tmp ? tmp : "/tmp") / "dmemu-preload-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = tmpl;

    fs::create_directories(dir_ / "dev" / "mapper");
    fs::create_directories(dir_ / "dev" / "block");
    symlink_to("c:10:236", dir_ / "dev" / "mapper" / "control");
    // disk ram0
    symlink_to("b:1:0", dir_ / "dev" / "ram0");
    symlink_to("../../mnt/disks/ram0", dir_ / "dev" / "block" / "1:0");
    sized_file(device_file("disks/ram0"), 16 << 20, 0);
    sys_device(dir_, "ram0", "1:0", 32768, {512, 4096, 4096, 0});
    // dm device lin, its /dev/mapper node made as libdevmapper would after resume
    symlink_to("b:253:0", dir_ / "dev" / "mapper" / "lin");
    symlink_to("b:253:0", dir_ / "dev" / "dm-0");
    symlink_to("../../mnt/mapper/lin", dir_ / "dev" / "block" / "253:0");
    sized_file(device_file("mapper/lin"), 1 << 20, '\xff');
    sys_device(dir_, "dm-0", "253:0", 2048, {512, 4096, 512, 0});
    dm_device(dir_, "lin", 0);
    // dm device empty: no table, so no file
    symlink_to("b:253:1", dir_ / "dev" / "mapper" / "empty");
    symlink_to("b:253:1", dir_ / "dev" / "dm-1");
    sys_device(dir_, "dm-1", "253:1", 0, {512, 512, 512, 0});
    dm_device(dir_, "empty", 1);
    write_file(dir_ / "proc" / "devices",
               "Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n  1 ramdisk\n"
               "253 device-mapper\n");
}

void PreloadTest::TearDown() {
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
}

void PreloadTest::start_server(bool hang_up) {
    server_ = std::make_unique<FakeIoctlServer>((dir_ / DMEMU_WIRE_SOCKET).string(), hang_up);
}

void PreloadTest::leave_stale_socket() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = (dir_ / DMEMU_WIRE_SOCKET).string();
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
    ::close(fd);
}

EnvChanges PreloadTest::preload_env() const {
    EnvChanges env = {{"LD_PRELOAD", DMEMU_PRELOAD_LIB},
                      {"DMEMU_DIR", dir()},
                      {"DM_DISABLE_UDEV", "1"},
                      {"DM_DEV_DIR", std::nullopt},
                      {"LC_ALL", "C"}};
    if (kSanitized) {
        // The ASan runtime comes in with the probe, after the preloaded library.
        const char* old = std::getenv("ASAN_OPTIONS");
        env.emplace_back("ASAN_OPTIONS", std::string(old && *old ? old : "") +
                                             (old && *old ? ":" : "") + "verify_asan_link_order=0");
    }
    return env;
}

RunResult PreloadTest::probe(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {DMEMU_PRELOAD_PROBE};
    argv.insert(argv.end(), args.begin(), args.end());
    return under_preload(argv);
}

std::string PreloadTest::read_text(const std::string& rel) const {
    std::ifstream f(dir_ / rel);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

}  // namespace dmemu::preload_test
