// SPDX-License-Identifier: GPL-2.0-only
// `dmemu start DIR --log-server NAME`: the userspace-log server the daemon starts beside itself
// and stops with itself (docs/ulog.md).
//   dmemu            dmemu-ulogd (found beside this dmemu) on DIR/ulogd.sock; its output in
//                    DIR/ulogd.log
//   cmirrord         the real cmirrord and corosync (scenario/cmirrord_process.hpp), on the
//   cmirrord-legacy  netlink connector (which --log-server cmirrord* turns on)
// start() runs off the event loop (cmirrord's start waits for it to join the connector, which
// the loop must accept); stop() after the devices are gone, so that their DTRs reach the server.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "emu/sim/cmirrord_process.hpp"

namespace dmemu::daemon {

class LogServerLauncher {
public:
    // name: "", "dmemu", "cmirrord" or "cmirrord-legacy" (main checks it).
    LogServerLauncher(std::string name, std::string dir, std::string cmirrord_dir);
    ~LogServerLauncher();
    LogServerLauncher(const LogServerLauncher&) = delete;
    LogServerLauncher& operator=(const LogServerLauncher&) = delete;

    bool wanted() const { return !name_.empty(); }
    bool netlink() const { return name_.rfind("cmirrord", 0) == 0; }
    // "" once the server runs, else why not.
    std::string start();
    void stop();

private:
    std::string name_, dir_, cmirrord_dir_;
    pid_t ulogd_ = -1;
    std::unique_ptr<scenario::CmirrordProcess> cmirrord_;
};

}  // namespace dmemu::daemon
