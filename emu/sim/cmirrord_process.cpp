// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/cmirrord_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <thread>
#include <vector>

namespace dmemu::scenario {

namespace fs = std::filesystem;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

std::string script() { return env_or("DMEMU_CMIRRORD_RUN", DMEMU_CMIRRORD_RUN_DEFAULT); }

}  // namespace

std::string self_dir() {
    std::error_code ec;
    return fs::read_symlink("/proc/self/exe", ec).parent_path().string();
}

pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log) {
    // Everything the child needs is made before fork: the caller may have threads, and a child
    // may only make async-signal-safe calls before exec.
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::setsid();
    ::execv(args[0], args.data());
    ::_exit(127);
}

int wait_child(pid_t pid, const std::function<void()>& pump) {
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, pump ? WNOHANG : 0);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return 127;
        if (r == 0) pump();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string tail_of(const std::string& file) {
    std::string out;
    if (std::FILE* f = std::fopen(file.c_str(), "re")) {
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        std::fclose(f);
    }
    if (out.size() > 600) out = "..." + out.substr(out.size() - 600);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

CmirrordProcess::CmirrordProcess(std::string variant, std::string dir, std::string cmirrord_dir)
    : variant_(std::move(variant)), dir_(std::move(dir)), cmirrord_dir_(std::move(cmirrord_dir)) {}

CmirrordProcess::~CmirrordProcess() { stop(); }

std::string CmirrordProcess::run_script(const std::vector<std::string>& args,
                                        const std::function<void()>& pump) {
    std::vector<std::string> argv{"/bin/bash", script()};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = dir_ + "/log-server.log";
    const pid_t pid = spawn_logged(argv, log);
    if (pid < 0) return "fork: " + std::string(std::strerror(errno));
    if (wait_child(pid, pump) != 0) return tail_of(log);
    return {};
}

std::string CmirrordProcess::begin() {
    const std::string bins =
        !cmirrord_dir_.empty() ? cmirrord_dir_
                               : env_or("DMEMU_CMIRRORD_DIR",
                                        (fs::path(self_dir()).parent_path() / "cmirrord").string());
    const std::string bin = bins + "/" + variant_;
    if (::access(bin.c_str(), X_OK) != 0)
        return "--log-server " + variant_ + ": no " + bin +
               " (build it: bash tools/cmirrord/build.sh " + bins + ")";
    starting_ = spawn_logged({"/bin/bash", script(), "start", dir_, bin, self_dir() + "/dmemu"},
                             dir_ + "/log-server.log");
    if (starting_ < 0) return "fork: " + std::string(std::strerror(errno));
    started_ = true;  // from here on stop() cleans up, whatever start's outcome
    return {};
}

std::optional<std::string> CmirrordProcess::finished() {
    if (starting_ < 0) return std::string();
    int status = 0;
    const pid_t r = ::waitpid(starting_, &status, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR)) return std::nullopt;
    starting_ = -1;
    if (r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return variant_ + " did not start: " + tail_of(dir_ + "/log-server.log");
    return std::string();
}

std::string CmirrordProcess::start(const std::function<void()>& pump) {
    if (std::string failed = begin(); !failed.empty()) return failed;
    for (;;) {
        if (auto done = finished()) return *done;
        pump();
    }
}

bool CmirrordProcess::signal(int sig) {
    if (!started_) return false;
    const char* name = sigabbrev_np(sig);
    return run_script({"signal", dir_, name ? name : std::to_string(sig)}, {}).empty();
}

void CmirrordProcess::stop() {
    if (starting_ > 0) wait_child(starting_);
    starting_ = -1;
    if (!started_) return;
    run_script({"stop", dir_}, {});
    started_ = false;
}

}  // namespace dmemu::scenario
