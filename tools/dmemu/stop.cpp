// SPDX-License-Identifier: GPL-2.0-only
// `dmemu stop DIR`.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "tools/dmemu/daemon.hpp"
#include "tools/dmsetup/socket_channel.hpp"

namespace dmemu::daemon {

int stop_daemon(const DaemonPaths& paths, double timeout_seconds) {
    if (!daemon_running(paths)) {
        std::cerr << "dmemu: no daemon is running in " << paths.dir << "\n";
        return 1;
    }
    try {
        dmsetup::SocketChannel channel(paths.dir, "dmemu");
        channel.exchange_line(R"({"cmd":"shutdown"})");
    } catch (const std::exception& e) {
        // The socket is gone but the daemon lives (hung, or mid-startup): signal it.
        const int pid = read_pid_file(paths);
        if (pid <= 0 || ::kill(pid, SIGTERM) != 0) {
            std::cerr << "dmemu: cannot reach the daemon in " << paths.dir << ": " << e.what()
                      << "\n";
            return 1;
        }
    }
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    while (daemon_running(paths)) {
        if (std::chrono::steady_clock::now() > deadline) {
            std::cerr << "dmemu: the daemon in " << paths.dir << " did not exit within "
                      << timeout_seconds << " s\n";
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return 0;
}

}  // namespace dmemu::daemon
