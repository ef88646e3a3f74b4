// SPDX-License-Identifier: GPL-2.0-only
// The daemon end to end: `dmemu start DIR --foreground` as a child for each test, dmemu-setup
// against it, and small helpers for raw socket clients and files. Shared by the daemon and
// mirror end-to-end suites.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/cli/subprocess.hpp"

namespace dmemu::cli_test {

using namespace std::chrono_literals;
using Args = std::vector<std::string>;

inline std::string program(const char* env, const char* fallback) {
    const char* v = std::getenv(env);
    return v && *v ? v : fallback;
}

inline std::string make_temp_dir() {
    char tmpl[] = "/tmp/dmemu-cli-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    return d ? d : "";
}

inline int connect_to(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline void send_all(int fd, const std::string& s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
}

inline std::string read_line(int fd) {
    std::string line;
    char c;
    while (::read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
    return line;
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class DaemonE2E : public ::testing::Test {
protected:
    // More `dmemu start` options, set by a fixture's constructor.
    Args start_args_;
    void SetUp() override {
        if (!std::filesystem::exists(dmemu_) || !std::filesystem::exists(setup_))
            GTEST_SKIP() << "programs not built: " << dmemu_ << ", " << setup_;
        dir_ = make_temp_dir();
        ASSERT_FALSE(dir_.empty());
        start_daemon();
    }
    void TearDown() override {
        stop_daemon();
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }
    // Starts `dmemu start DIR --foreground` and waits until its socket accepts connections.
    void start_daemon() {
        Args args{"start", dir_, "--foreground", "--log-level", "debug"};
        args.insert(args.end(), start_args_.begin(), start_args_.end());
        pid_ = spawn_program(dmemu_, args, log());
        for (int i = 0; i < 1000; ++i) {
            if (const int fd = connect_to(socket()); fd >= 0) {
                ::close(fd);
                return;
            }
            std::this_thread::sleep_for(10ms);
        }
        FAIL() << "daemon did not start listening; its log:\n" << slurp(log());
    }
    // SIGTERM (a clean stop: every table's dtr runs), SIGKILL if it does not exit in 5 s.
    void stop_daemon() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            if (!wait_exit(pid_, 5s)) {
                ::kill(pid_, SIGKILL);
                wait_exit(pid_, 5s);
            }
        }
        pid_ = -1;
    }

    ProgramResult cli(Args args, const std::string& in = {}) {
        args.insert(args.begin(), {"--dir", dir_});
        return run_program(setup_, args, in);
    }
    std::string socket() const { return dir_ + "/control.sock"; }
    std::string log() const { return dir_ + ".foreground.log"; }

    std::string dmemu_ = program("DMEMU_BIN", DMEMU_BIN_DEFAULT);
    std::string setup_ = program("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT);
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace dmemu::cli_test
