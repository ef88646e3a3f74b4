// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/log_server_launcher.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "emu/sim/cmirrord_process.hpp"

namespace dmemu::daemon {

namespace fs = std::filesystem;
using scenario::self_dir;
using scenario::spawn_logged;
using scenario::tail_of;
using scenario::wait_child;

LogServerLauncher::LogServerLauncher(std::string name, std::string dir, std::string cmirrord_dir)
    : name_(std::move(name)), dir_(std::move(dir)), cmirrord_dir_(std::move(cmirrord_dir)) {}

LogServerLauncher::~LogServerLauncher() { stop(); }

std::string LogServerLauncher::start() {
    if (name_ == "dmemu") {
        const std::string bin = self_dir() + "/dmemu-ulogd";
        if (::access(bin.c_str(), X_OK) != 0) return "--log-server dmemu: no " + bin;
        ulogd_ = spawn_logged({bin, "--socket", dir_ + "/ulogd.sock"}, dir_ + "/ulogd.log");
        for (int i = 0; i < 200 && !fs::exists(dir_ + "/ulogd.sock"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (!fs::exists(dir_ + "/ulogd.sock"))
            return "dmemu-ulogd did not start: " + tail_of(dir_ + "/ulogd.log");
        spdlog::info("log server: dmemu-ulogd (pid {}) on {}/ulogd.sock", ulogd_, dir_);
        return {};
    }
    // The daemon's loop runs on another thread and accepts cmirrord's connection meanwhile.
    cmirrord_ = std::make_unique<scenario::CmirrordProcess>(name_, dir_, cmirrord_dir_);
    const std::string failed =
        cmirrord_->start([] { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
    if (!failed.empty()) {
        cmirrord_.reset();
        return failed;
    }
    spdlog::info("log server: {} with corosync, on {}/connector.sock", name_, dir_);
    return {};
}

void LogServerLauncher::stop() {
    if (ulogd_ > 0) {
        ::kill(ulogd_, SIGTERM);
        wait_child(ulogd_);
        ulogd_ = -1;
    }
    cmirrord_.reset();
}

}  // namespace dmemu::daemon
