// SPDX-License-Identifier: GPL-2.0-only
// A real log server process as a machine's (`dmemu run --log-server cmirrord|cmirrord-legacy`):
// the real cmirrord with its corosync (cmirrord_process.hpp), on a netlink connector of the
// machine's own (transfer/carriers/netlink_connector_server.hpp) in a directory of the run's
// (DMEMU_RUN_DIR, else a new one under $TMPDIR), removed at the end.
//
// Time. The machine's clock stays virtual, so the kernel side's timers, background I/O and the
// scenario's timeouts keep their meaning; but virtual time stands still while cmirrord works on
// a request the kernel side sent it (working(): sent, unanswered, and younger than 10 s of real
// time), or while it starts. A request cmirrord never answers (a frozen or dying daemon) is
// given up after that grace, and only then may the kernel side's 15 s timeout fire. So a run
// takes as long as cmirrord takes, and it does not replay: the trace's first line says so.
//
// Log-server steps: crash is SIGKILL to cmirrord (its corosync goes with it), restart a new
// corosync and cmirrord (started in the background: virtual time waits until it has joined),
// freeze SIGSTOP, thaw SIGCONT. Which of cmirrord's log objects a request reached cannot be
// seen (engine() is nullptr).
#pragma once

#include <memory>
#include <string>

#include "emu/sim/log_server_side.hpp"

namespace dmemu::scenario {

// variant: "cmirrord" or "cmirrord-legacy". Throws std::runtime_error, saying why, when the
// daemon cannot be started.
std::unique_ptr<LogServerSide> make_real_log_server(boost::asio::io_context& ctx,
                                                    const std::string& variant,
                                                    const std::string& cmirrord_dir);

}  // namespace dmemu::scenario
