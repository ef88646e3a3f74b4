// SPDX-License-Identifier: GPL-2.0-only
// `dmemu start DIR --log-server NAME`: the userspace-log server the daemon starts beside itself
// and stops with itself (docs/ulog.md).
//   dmemu            dmemu-ulogd (found beside this dmemu) on DIR/ulogd.sock; its output in
//                    DIR/ulogd.log
//   cmirrord         the real cmirrord and corosync, through tools/cmirrord/run.sh, on the
//   cmirrord-legacy  netlink connector (which --log-server cmirrord* turns on); the binaries come
//                    from --cmirrord-dir, else $DMEMU_CMIRRORD_DIR, else the build tree's
//                    cmirrord/ (tools/cmirrord/build.sh); the script from $DMEMU_CMIRRORD_RUN,
//                    else the source tree's
// start() runs off the event loop (cmirrord's start waits for it to join the connector, which
// the loop must accept); stop() after the devices are gone, so that their DTRs reach the server.
#pragma once

#include <string>
#include <sys/types.h>

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
    bool cmirrord_started_ = false;
};

}  // namespace dmemu::daemon
