// SPDX-License-Identifier: GPL-2.0-only
// The real cmirrord (with its corosync) as a child of dmemu, through tools/cmirrord/run.sh: what
// `dmemu start --log-server cmirrord` and `dmemu run --log-server cmirrord` share.
//
// Binaries: `cmirrord_dir` (--cmirrord-dir), else $DMEMU_CMIRRORD_DIR, else the build tree's
// cmirrord/ (tools/cmirrord/build.sh); the script: $DMEMU_CMIRRORD_RUN, else the source tree's.
// The variant is "cmirrord" or "cmirrord-legacy". DIR must hold a netlink connector
// (DIR/connector.sock, DIR/connector.listeners) that accepts while start() waits: start() calls
// `pump` between its checks, so a caller on the connector's own loop can let it accept.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::scenario {

class CmirrordProcess {
public:
    CmirrordProcess(std::string variant, std::string dir, std::string cmirrord_dir);
    ~CmirrordProcess();
    CmirrordProcess(const CmirrordProcess&) = delete;
    CmirrordProcess& operator=(const CmirrordProcess&) = delete;

    const std::string& variant() const { return variant_; }
    // "" once cmirrord has joined the connector, else why not (the last lines of its logs).
    std::string start(const std::function<void()>& pump);
    // The same in two halves, for a caller that must go back to its loop meanwhile: begin()
    // returns "" or why it could not even try; finished() is nullopt while starting, then what
    // start() would have returned.
    std::string begin();
    std::optional<std::string> finished();
    // Sends `sig` to cmirrord alone (SIGKILL: a crash, which also ends its corosync; SIGSTOP,
    // SIGCONT: a freeze and a thaw). False when no cmirrord was there to receive it.
    bool signal(int sig);
    // Ends cmirrord and corosync (no-op when not started).
    void stop();

private:
    std::string run_script(const std::vector<std::string>& args, const std::function<void()>& pump);

    std::string variant_, dir_, cmirrord_dir_;
    pid_t starting_ = -1;  // the script's `start`, while it runs
    bool started_ = false;
};

// Runs argv with stdout and stderr appended to `log`, in a session of its own; the pid, or -1.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log);
// Waits for pid, calling pump (if any) between checks; its exit status (128 + signal if killed).
int wait_child(pid_t pid, const std::function<void()>& pump = {});
// The last ~600 bytes of a file, for an error message.
std::string tail_of(const std::string& file);
// The directory of the running executable.
std::string self_dir();

}  // namespace dmemu::scenario
