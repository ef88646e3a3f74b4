// SPDX-License-Identifier: GPL-2.0-only
// dmemu: the emulator daemon.
//
//   dmemu start DIR [--foreground] [--dm-major N] [--log-level LEVEL] [--seed N] [--ulogd PATH]
//                   [--netlink] [--log-server dmemu|cmirrord|cmirrord-legacy|in-process]
//                   [--cmirrord-dir DIR]
//                   [--ioctl-trace FILE] [--no-splice] [--splice-threads N]
//   dmemu stop DIR [--timeout SECONDS]
//   dmemu run FILE --seed N | dmemu sweep FILE --seeds A..B  (tools/dmemu/scenario_commands.hpp)
//   dmemu trace export FILE | dmemu trace diff A B  (tools/dmemu/trace_commands.hpp)
//   dmemu exec DIR [--] CMD [ARGS...]  (tools/dmemu/exec.hpp)
//
// `start` creates DIR if needed, refuses when a daemon is live there, and serves
// DIR/control.sock (dmemu-setup talks to it). Without --foreground it detaches (fork, setsid,
// log to DIR/dmemu.log, pid in DIR/dmemu.pid) and returns once the socket accepts connections.
// `stop` asks the daemon to shut down and waits until it has. docs/cli.md and dmemu(1) say the
// rest.
#include <fcntl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "tools/dmemu/daemon.hpp"
#include "tools/dmemu/exec.hpp"
#include "tools/dmemu/scenario_commands.hpp"
#include "tools/dmemu/trace_commands.hpp"

namespace {

using dmemu::daemon::DaemonOptions;
using dmemu::daemon::DaemonPaths;

void set_logger(const std::shared_ptr<spdlog::logger>& logger, const std::string& level) {
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(logger);
}

int start_foreground(const DaemonOptions& opts, const DaemonPaths& paths) {
    std::string error;
    const int lock = dmemu::daemon::acquire_daemon_lock(paths, &error);
    if (lock < 0) {
        std::cerr << "dmemu: " << error << "\n";
        return 1;
    }
    set_logger(spdlog::stderr_color_mt("dmemu"), opts.log_level);
    const int rc = dmemu::daemon::run_daemon(opts, paths, [](const std::string& e) {
        if (!e.empty()) std::cerr << "dmemu: " << e << "\n";
    });
    ::close(lock);
    return rc;
}

// fork, setsid, fork again (the daemon is no session leader), report readiness through a pipe.
int start_detached(const DaemonOptions& opts, const DaemonPaths& paths) {
    std::string error;
    const int lock = dmemu::daemon::acquire_daemon_lock(paths, &error);
    if (lock < 0) {
        std::cerr << "dmemu: " << error << "\n";
        return 1;
    }
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        std::perror("dmemu: pipe");
        return 1;
    }
    const pid_t child = ::fork();
    if (child < 0) {
        std::perror("dmemu: fork");
        return 1;
    }
    if (child > 0) {
        ::close(pipefd[1]);
        ::close(lock);
        ::waitpid(child, nullptr, 0);
        std::string message;
        char buf[512];
        for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof(buf))) != 0;) {
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) break;
            message.append(buf, static_cast<std::size_t>(n));
        }
        if (message == "ok") return 0;
        std::cerr << "dmemu: "
                  << (message.empty() ? "the daemon exited during startup; see " + paths.log
                                      : message)
                  << "\n";
        return 1;
    }
    ::close(pipefd[0]);
    ::setsid();
    if (const pid_t grandchild = ::fork(); grandchild != 0) ::_exit(grandchild < 0 ? 1 : 0);
    const int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    if (devnull > 2) ::close(devnull);
    try {
        set_logger(spdlog::basic_logger_mt("dmemu", paths.log), opts.log_level);
    } catch (const std::exception& e) {
        const std::string msg = std::string("cannot open ") + paths.log + ": " + e.what();
        [[maybe_unused]] auto n = ::write(pipefd[1], msg.data(), msg.size());
        ::_exit(1);
    }
    const int rc = dmemu::daemon::run_daemon(opts, paths, [&](const std::string& e) {
        const std::string msg = e.empty() ? "ok" : e;
        [[maybe_unused]] auto n = ::write(pipefd[1], msg.data(), msg.size());
        ::close(pipefd[1]);
    });
    spdlog::shutdown();
    ::_exit(rc);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"dmemu: a userspace emulator of the Linux device-mapper stack"};
    app.require_subcommand(1);
    dmemu::scenario::ScenarioCommands scenario_commands(app);
    dmemu::scenario::TraceCommands trace_commands(app);
    dmemu::exec::ExecCommand exec_command(app);

    DaemonOptions opts;
    auto* start = app.add_subcommand("start", "start a daemon serving DIR/control.sock");
    start->add_option("DIR", opts.dir, "the daemon's directory (created if needed)")->required();
    start->add_flag("--foreground", opts.foreground, "stay in the foreground, log to stderr");
    start->add_option("--dm-major", opts.dm_major, "device-mapper's major number")
        ->capture_default_str();
    start->add_option("--log-level", opts.log_level, "trace, debug, info, warn, err, critical, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "err", "critical", "off"}))
        ->capture_default_str();
    start->add_option("--seed", opts.seed, "the seed of the run's randomness")
        ->capture_default_str();
    start->add_option("--ulogd", opts.ulogd_socket,
                      "socket of the userspace-log server (dmemu-ulogd --socket PATH); "
                      "default DIR/ulogd.sock");
    start
        ->add_flag(
            "--netlink", opts.netlink,
            "send userspace-log requests out of the netlink connector (DIR/connector.sock) to "
            "every program under `dmemu exec DIR` with a NETLINK_CONNECTOR socket, such as the "
            "real cmirrord, instead of to dmemu-ulogd (docs/ulog.md)")
        ->excludes(start->get_option("--ulogd"));
    start
        ->add_option("--log-server", opts.log_server,
                     "start this userspace-log server with the daemon and stop it with it: dmemu "
                     "(dmemu-ulogd), cmirrord or cmirrord-legacy (the real one with corosync, "
                     "over the netlink connector; docs/ulog.md), or in-process (dmemu's log "
                     "server inside the daemon, on its loop: no round trip between processes)")
        ->check(CLI::IsMember({"dmemu", "cmirrord", "cmirrord-legacy", "in-process"}))
        ->excludes(start->get_option("--ulogd"));
    start->add_option("--cmirrord-dir", opts.cmirrord_dir,
                      "where cmirrord and cmirrord-legacy are (tools/cmirrord/build.sh OUTDIR); "
                      "default $DMEMU_CMIRRORD_DIR, else the build tree's cmirrord/");
    start->add_option(
        "--ioctl-trace", opts.ioctl_trace,
        "write one JSON line per device-mapper operation to FILE (docs/real-tools.md)");
    start->add_flag_callback(
        "--no-splice", [&opts] { opts.fuse_splice = false; },
        "answer every FUSE read through a buffer, never by splice from a backing file");
    start
        ->add_option("--splice-threads", opts.fuse_splice_threads,
                     "threads sending spliced FUSE replies of 64 KiB or more; 0: all from the "
                     "event loop")
        ->check(CLI::Range(0, 64))
        ->capture_default_str();

    std::string stop_dir;
    double timeout = 10.0;
    auto* stop = app.add_subcommand("stop", "stop the daemon serving DIR and wait for it to exit");
    stop->add_option("DIR", stop_dir, "the daemon's directory")->required();
    stop->add_option("--timeout", timeout, "seconds to wait")->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    if (auto rc = scenario_commands.run_if_selected()) return *rc;
    if (auto rc = trace_commands.run_if_selected()) return *rc;
    if (auto rc = exec_command.run_if_selected()) return *rc;

    if (*start) {
        std::error_code ec;
        opts.dir = std::filesystem::absolute(opts.dir, ec).lexically_normal().string();
        if (!opts.dir.empty() && opts.dir.back() == '/' && opts.dir.size() > 1) opts.dir.pop_back();
        const DaemonPaths paths(opts.dir);
        if (opts.ulogd_socket.empty()) opts.ulogd_socket = opts.dir + "/ulogd.sock";
        opts.ulogd_socket = std::filesystem::absolute(opts.ulogd_socket, ec).string();
        if (!opts.ioctl_trace.empty())
            opts.ioctl_trace = std::filesystem::absolute(opts.ioctl_trace, ec).string();
        if (opts.log_server.rfind("cmirrord", 0) == 0) opts.netlink = true;
        if (opts.log_server == dmemu::daemon::kInProcessLogServer && opts.netlink) {
            std::cerr << "dmemu start: --log-server in-process serves the log inside the daemon: "
                         "it takes no --netlink\n";
            return 2;
        }
        if (!opts.cmirrord_dir.empty())
            opts.cmirrord_dir = std::filesystem::absolute(opts.cmirrord_dir, ec).string();
        return opts.foreground ? start_foreground(opts, paths) : start_detached(opts, paths);
    }
    std::error_code ec;
    std::string dir = std::filesystem::absolute(stop_dir, ec).lexically_normal().string();
    if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dmemu::daemon::stop_daemon(DaemonPaths(dir), timeout);
}
