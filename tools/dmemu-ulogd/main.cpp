// SPDX-License-Identifier: GPL-2.0-only
// dmemu-ulogd: the userspace dirty-log server as a process (cmirrord's role for one node),
// listening on a Unix SOCK_SEQPACKET socket for the dmemu daemon's kernel side.
//
//   dmemu-ulogd --socket PATH [--match uuid+luid|uuid|uuid-first] [--crash-at TYPE[:N]]
//               [--log-level LEVEL]
//               [--crash-at TYPE[:N]]
//
// --match chooses how requests find their log (logs/userspace/log_server.hpp): uuid+luid is
// cmirrord today; uuid and uuid-first reproduce the daemons from before the luid fix.
// --crash-at makes it SIGKILL itself at the N-th request of TYPE (crash_at.hpp).
// SIGTERM and SIGINT stop it cleanly (the socket file is removed). Exit 0 on a clean stop,
// 1 when the socket cannot be bound, 2 on a usage error.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <exception>
#include <optional>
#include <string>

#include "logs/userspace/log_server.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "tools/dmemu-ulogd/crash_at.hpp"
#include "transfer/carriers/seqpacket_blocking_server.hpp"

namespace {

std::atomic<int> g_stop_signal{0};

void on_stop_signal(int sig) {
    g_stop_signal.store(sig);
    dmemu::transfer::SeqpacketBlockingServer::request_stop();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dmemu-ulogd: userspace dirty-log server (cmirrord for one node)"};
    std::string socket_path;
    std::string match = "uuid+luid";
    std::string log_level = "info";
    std::string crash_at;
    app.add_option("--socket", socket_path, "Unix seqpacket socket to listen on")->required();
    app.add_option("--match", match, "log lookup: uuid+luid (default), uuid, uuid-first");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, err, critical, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "err", "critical", "off"}))
        ->capture_default_str();
    app.add_option(
        "--crash-at", crash_at,
        "die by SIGKILL when the N-th request of TYPE arrives (TYPE[:N], e.g. RESUME:2)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    dmemu::logs::LogServerOptions options;
    options.record_events = false;  // a long-running server: --log-level debug shows each one
    if (!dmemu::logs::parse_match_mode(match, &options.match)) {
        spdlog::error("dmemu-ulogd: --match '{}' is not uuid+luid, uuid or uuid-first", match);
        return 2;
    }
    std::optional<dmemu::ulogd::CrashAt> crash;
    if (!crash_at.empty()) {
        std::string why;
        crash = dmemu::ulogd::parse_crash_at(crash_at, &why);
        if (!crash) {
            spdlog::error("dmemu-ulogd: {}", why);
            return 2;
        }
    }
    spdlog::set_level(spdlog::level::from_str(log_level));

    try {
        // No event loop: the server blocks in recvmsg, answers, and blocks again
        // (transfer/carriers/seqpacket_blocking_server.hpp says why).
        dmemu::transfer::SeqpacketBlockingServer carrier(socket_path);
        if (crash) carrier.set_inspector(dmemu::ulogd::make_crash_check(*crash));
        dmemu::logs::LogServer engine(options);
        dmemu::logs::LogServerConnection connection(carrier, engine);
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGTERM, &sa, nullptr);
        ::sigaction(SIGINT, &sa, nullptr);
        spdlog::info("dmemu-ulogd: listening on {} (match {})", socket_path,
                     dmemu::logs::to_string(options.match));
        carrier.serve();
        spdlog::info("dmemu-ulogd: signal {}, stopping", g_stop_signal.load());
    } catch (const std::exception& e) {
        spdlog::error("dmemu-ulogd: {}: {}", socket_path, e.what());
        return 1;
    }
    return 0;
}
