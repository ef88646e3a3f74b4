// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/daemon.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <thread>

#include "emu/core/device_mapper.hpp"
#include "emu/frontend/dev_tree.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "tools/dmemu/control_server.hpp"
#include "tools/dmemu/fuse_frontend.hpp"
#include "tools/dmemu/ioctl_server.hpp"
#include "tools/dmemu/ioctl_trace.hpp"
#include "tools/dmemu/log_server_launcher.hpp"
#include "transfer/carriers/netlink_connector_server.hpp"
#include "transfer/carriers/seqpacket_client.hpp"
#include "transfer/kernel_endpoint.hpp"

namespace dmemu::daemon {

namespace asio = boost::asio;

int run_daemon(const DaemonOptions& opts, const DaemonPaths& paths,
               const std::function<void(const std::string&)>& ready) {
    std::signal(SIGPIPE, SIG_IGN);
    asio::io_context ctx(1);
    emu::RealClock clock(ctx);
    emu::Rng rng(opts.seed);
    emu::KernelLog klog;
    emu::TargetRegistry targets;
    emu::register_builtin_targets(targets);
    // Declared before the DeviceMapper: tables' DTRs consult the log server during its shutdown.
    // The userspace-log messages go to dmemu-ulogd's socket, or (--netlink) out of the kernel's
    // netlink connector to every process with a NETLINK_CONNECTOR socket: the real cmirrord, or
    // (--log-server in-process) to dmemu's log server engine on this loop, with no round trip
    // between processes.
    std::unique_ptr<transfer::Carrier> ulog_carrier;
    std::unique_ptr<logs::InProcessLogServer> in_process_server;
    const bool in_process = opts.log_server == kInProcessLogServer;
    try {
        if (in_process) {
            logs::LogServerOptions server_options;
            server_options.record_events = false;  // a daemon runs for ever: keep no history
            in_process_server = std::make_unique<logs::InProcessLogServer>(ctx, server_options);
        } else if (opts.netlink) {
            auto connector = std::make_unique<transfer::NetlinkConnectorServer>(
                ctx, paths.dir + "/connector.sock");
            // DIR/connector.listeners: how many processes listen, for scripts waiting on one.
            connector->publish_listeners(paths.dir + "/connector.listeners");
            ulog_carrier = std::move(connector);
        } else
            ulog_carrier = std::make_unique<transfer::SeqpacketClient>(ctx, opts.ulogd_socket,
                                                                       transfer::Side::kernel);
    } catch (const std::exception& e) {
        ready(std::string("connector: ") + e.what());
        return 1;
    }
    transfer::KernelEndpoint ulog_endpoint(
        clock, klog, in_process ? in_process_server->kernel_carrier() : *ulog_carrier,
        {.resume_in_delivery = true});
    emu::DeviceMapper::Options dm_options;
    dm_options.dm_major = opts.dm_major;
    dm_options.file_io_worker = true;  // live mode: file I/O off the loop (emu/io/io_worker.hpp)
    emu::DeviceMapper dm(ctx, clock, rng, klog, targets, dm_options);
    dm.set_ulog_endpoint(&ulog_endpoint);
    std::unique_ptr<IoctlTrace> ioctl_trace;
    if (!opts.ioctl_trace.empty()) {
        try {
            ioctl_trace = std::make_unique<IoctlTrace>(opts.ioctl_trace);
        } catch (const std::exception& e) {
            ready(e.what());
            return 1;
        }
        dm.observe_ioctls([&](const emu::DmRequest& req, const emu::DmReply& reply) {
            ioctl_trace->record(req, reply);
        });
    }

    LogServerLauncher log_server(in_process ? std::string() : opts.log_server, paths.dir,
                                 opts.cmirrord_dir);
    std::thread log_server_starter;
    std::unique_ptr<FrontEnd> frontend;
    bool stopping = false;
    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    std::unique_ptr<ControlServer> server;
    // The namespace `dmemu exec` shows, and its control node's endpoint.
    std::unique_ptr<emu::DevTree> dev_tree;
    IoctlServer ioctl_server(ctx, dm, paths.ioctl_socket);
    auto shutdown = [&] {
        if (stopping) return;
        stopping = true;
        spdlog::info("dmemu: shutting down");
        signals.cancel();
        server->stop();
        ioctl_server.stop();
        asio::co_spawn(
            ctx,
            [&]() -> asio::awaitable<void> {
                co_await dm.shutdown();
                // Unmount off the loop: a FUSE worker may still wait for the loop to complete
                // its Bio, so the loop keeps running (the guard) until the unmount is done.
                std::thread([&, guard = asio::make_work_guard(ctx)]() mutable {
                    frontend.reset();
                    // The devices are gone (their logs' DTRs reached the server): now the server.
                    if (log_server_starter.joinable()) log_server_starter.join();
                    log_server.stop();
                    // The guard leaves with the last handler: once the loop may stop (and ctx be
                    // destroyed), this thread must not touch ctx (ASan: heap-use-after-free).
                    asio::post(ctx, [&, g = std::move(guard)]() mutable {
                        g.reset();
                        ctx.stop();
                    });
                }).detach();
            },
            asio::detached);
    };
    server = std::make_unique<ControlServer>(ctx, dm, paths.socket, shutdown);
    try {
        dev_tree = std::make_unique<emu::DevTree>(dm, paths.dir);
        ioctl_server.start();
        server->start();
    } catch (const std::exception& e) {
        ready(e.what());
        return 1;
    }
    std::string error;
    if (!write_pid_file(paths, &error)) {
        ready(error);
        return 1;
    }
    emu::FuseOptions fuse_options;
    fuse_options.splice = opts.fuse_splice;
    fuse_options.splice_threads = opts.fuse_splice_threads;
    frontend = mount_fuse_frontend(ctx, dm, paths.mnt, fuse_options);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        spdlog::info("dmemu: signal {}", sig);
        shutdown();
    });
    spdlog::info("dmemu: pid {} serving {} (dm major {}, seed={}, log server {})", ::getpid(),
                 paths.socket, opts.dm_major, opts.seed,
                 in_process     ? std::string("in this process")
                 : opts.netlink ? "on the netlink connector, " + paths.dir + "/connector.sock"
                                : opts.ulogd_socket);
    if (log_server.wanted()) {
        // Off the loop: cmirrord's start waits until it joined the connector, which the loop
        // accepts. `dmemu start` returns once the server is up, or with why it is not.
        log_server_starter = std::thread([&] {
            const std::string error = log_server.start();
            ready(error);
            if (!error.empty()) asio::post(ctx, shutdown);
        });
    } else {
        ready("");
    }
    ctx.run();
    if (log_server_starter.joinable()) log_server_starter.join();
    server.reset();
    dev_tree.reset();
    ::unlink(paths.pid.c_str());
    spdlog::info("dmemu: stopped");
    return 0;
}

}  // namespace dmemu::daemon
