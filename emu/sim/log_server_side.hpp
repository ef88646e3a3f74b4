// SPDX-License-Identifier: GPL-2.0-only
// The log server a machine's kernel side talks to (machine.hpp): dmemu's model of cmirrord, in
// process, on the machine's own loop (ModelLogServer, the default and the only deterministic
// one), or a real process on the netlink connector (real_log_server.hpp: the real cmirrord).
//
// The machine builds its kernel endpoint on kernel_carrier() and appends the wire observer, the
// transport faults and the crash trigger to hooks(), in that order, then calls hooks_appended().
// The world's log-server steps (crash, restart, freeze, thaw) come here; each returns "" or why
// it could not be done.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "logs/userspace/log_server.hpp"
#include "transfer/carriers/carrier.hpp"
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::scenario {

class LogServerSide {
public:
    virtual ~LogServerSide() = default;

    virtual transfer::Carrier& kernel_carrier() = 0;
    virtual transfer::HookChain& hooks() = 0;
    virtual void hooks_appended() {}
    // The model's engine, which says which of its objects a request reached; nullptr for a real
    // process, whose objects dmemu cannot see.
    virtual logs::LogServer* engine() = 0;
    // What the trace's first line says about the server ("dmemu-ulogd model, in process").
    virtual std::string describe() const = 0;
    // True while virtual time must wait for the server (emu::VirtualClock::set_hold).
    virtual bool working() { return false; }

    virtual std::string crash() = 0;    // dies: state lost, the kernel side gets -ESRCH
    virtual std::string restart() = 0;  // a fresh server, listening
    virtual std::string freeze() = 0;   // listening but silent
    virtual std::string thaw() = 0;     // answering again, same state
    // The machine's power is cut: the server never acts again.
    virtual void power_off() = 0;
};

std::unique_ptr<LogServerSide> make_model_log_server(boost::asio::io_context& ctx,
                                                     logs::MatchMode match);

}  // namespace dmemu::scenario
