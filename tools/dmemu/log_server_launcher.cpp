// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/log_server_launcher.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace dmemu::daemon {

namespace fs = std::filesystem;

namespace {

fs::path self_dir() {
    std::error_code ec;
    return fs::read_symlink("/proc/self/exe", ec).parent_path();
}

std::string env_or(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// Runs argv with stdout and stderr to `log` (appended); the pid, or -1. Everything the child
// needs is made before fork: the daemon has threads, and a child may only make async-signal-safe
// calls before exec.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
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

int wait_exit(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
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

}  // namespace

LogServerLauncher::LogServerLauncher(std::string name, std::string dir, std::string cmirrord_dir)
    : name_(std::move(name)), dir_(std::move(dir)), cmirrord_dir_(std::move(cmirrord_dir)) {}

LogServerLauncher::~LogServerLauncher() { stop(); }

std::string LogServerLauncher::start() {
    if (name_ == "dmemu") {
        const std::string bin = (self_dir() / "dmemu-ulogd").string();
        if (::access(bin.c_str(), X_OK) != 0) return "--log-server dmemu: no " + bin;
        ulogd_ = spawn({bin, "--socket", dir_ + "/ulogd.sock"}, dir_ + "/ulogd.log");
        for (int i = 0; i < 200 && !fs::exists(dir_ + "/ulogd.sock"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!fs::exists(dir_ + "/ulogd.sock")) return "dmemu-ulogd did not start: " + tail_of(dir_ + "/ulogd.log");
        spdlog::info("log server: dmemu-ulogd (pid {}) on {}/ulogd.sock", ulogd_, dir_);
        return {};
    }
    const std::string bins =
        !cmirrord_dir_.empty() ? cmirrord_dir_
                               : env_or("DMEMU_CMIRRORD_DIR", (self_dir().parent_path() / "cmirrord").string());
    const std::string bin = bins + "/" + name_;
    const std::string script = env_or("DMEMU_CMIRRORD_RUN", DMEMU_CMIRRORD_RUN_DEFAULT);
    if (::access(bin.c_str(), X_OK) != 0)
        return "--log-server " + name_ + ": no " + bin + " (build it: bash tools/cmirrord/build.sh " + bins + ")";
    const std::string log = dir_ + "/log-server.log";
    const pid_t pid = spawn({"/bin/bash", script, "start", dir_, bin, (self_dir() / "dmemu").string()}, log);
    if (pid < 0 || wait_exit(pid) != 0) return name_ + " did not start: " + tail_of(log);
    cmirrord_started_ = true;
    spdlog::info("log server: {} with corosync, on {}/connector.sock", name_, dir_);
    return {};
}

void LogServerLauncher::stop() {
    if (ulogd_ > 0) {
        ::kill(ulogd_, SIGTERM);
        wait_exit(ulogd_);
        ulogd_ = -1;
    }
    if (cmirrord_started_) {
        const std::string script = env_or("DMEMU_CMIRRORD_RUN", DMEMU_CMIRRORD_RUN_DEFAULT);
        const pid_t pid = spawn({"/bin/bash", script, "stop", dir_}, dir_ + "/log-server.log");
        if (pid > 0) wait_exit(pid);
        cmirrord_started_ = false;
    }
}

}  // namespace dmemu::daemon
