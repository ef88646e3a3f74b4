// SPDX-License-Identifier: GPL-2.0-only
// ulog round trips per second, three ways side by side in one run (issue [mirror-ulog]):
//  * in-process: KernelEndpoint::consult to the log server engine over the InProcessLink, on one
//    io_context (what scenarios use);
//  * socket: the same consult over SeqpacketClient to a dmemu-ulogd process (what the daemon
//    uses);
//  * bare: a SOCK_SEQPACKET ping-pong between two processes with blocking send/recv and
//    messages of the same sizes (cn_msg + dm_ulog_request + 8 bytes each way): the floor the
//    socket carrier is measured against.
// Each round trip is an IN_SYNC request (8-byte region) answered with 8 bytes, on a
// clustered-core log created first.
//
//   ulog_bench --ulogd PATH [--seconds S] [--cpu N|any] [--only in-process|socket|bare]
//
// A benchmark, not a test: run it on a quiet machine and read the ratios.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <string>
#include <thread>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "transfer/carriers/seqpacket_client.hpp"
#include "transfer/cn_msg.hpp"
#include "transfer/kernel_endpoint.hpp"
#include "transfer/ulog_request.hpp"

namespace {

namespace asio = boost::asio;
namespace tr = dmemu::transfer;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kPayload = 8;
constexpr std::size_t kMessage = sizeof(tr::CnMsg) + sizeof(tr::DmUlogRequest) + kPayload;

struct Rate {
    std::uint64_t round_trips = 0;
    double seconds = 0;
    double per_second() const { return seconds > 0 ? round_trips / seconds : 0; }
};

// CTR + RESUME once, then IN_SYNC round trips until `seconds` have passed.
Rate run_consults(asio::io_context& ctx, tr::KernelEndpoint& endpoint, double seconds) {
    Rate rate;
    bool failed = false;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            const std::string ctr = "65536 clustered-core 1024";
            std::vector<std::byte> ctr_bytes(reinterpret_cast<const std::byte*>(ctr.data()),
                                             reinterpret_cast<const std::byte*>(ctr.data()) + ctr.size() + 1);
            auto r = co_await endpoint.consult("LVM-benchuuid", 1, tr::UlogRequestType::ctr, ctr_bytes, 512);
            auto s = co_await endpoint.consult("LVM-benchuuid", 1, tr::UlogRequestType::resume, {}, 0);
            if (r.error != 0 || s.error != 0) {
                failed = true;
                co_return;
            }
            std::vector<std::byte> region(kPayload);
            const auto start = Clock::now();
            const auto stop = start + std::chrono::duration<double>(seconds);
            for (;;) {
                for (int i = 0; i < 1024; ++i) {
                    auto x = co_await endpoint.consult("LVM-benchuuid", 1, tr::UlogRequestType::in_sync,
                                                       region, kPayload);
                    if (x.error != 0) {
                        failed = true;
                        co_return;
                    }
                }
                rate.round_trips += 1024;
                if (Clock::now() >= stop) break;
            }
            rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        },
        // The carrier keeps a receive pending: stop the loop when the measurement is done.
        [&](std::exception_ptr) { ctx.stop(); });
    ctx.run();
    ctx.restart();
    if (failed) throw std::runtime_error("a consult failed");
    return rate;
}

// On the virtual clock, as scenarios run it (the 15 s timeout is a map entry, not a timerfd).
Rate in_process(double seconds) {
    asio::io_context ctx(1);
    dmemu::emu::VirtualClock clock(ctx);
    dmemu::emu::KernelLog klog;
    klog.set_echo(false);
    dmemu::logs::LogServerOptions options;
    options.record_events = false;
    dmemu::logs::InProcessLogServer server(ctx, options);
    tr::KernelEndpoint endpoint(clock, klog, server.kernel_carrier());
    return run_consults(ctx, endpoint, seconds);
}

Rate over_socket(const std::string& ulogd, double seconds) {
    const std::string dir = std::filesystem::temp_directory_path() / ("ulog-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string sock = dir + "/ulogd.sock";
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(ulogd.c_str(), "dmemu-ulogd", "--socket", sock.c_str(), "--log-level", "warn",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    asio::io_context ctx(1);
    dmemu::emu::RealClock clock(ctx);
    dmemu::emu::KernelLog klog;
    klog.set_echo(false);
    tr::SeqpacketClient client(ctx, sock, tr::Side::kernel);
    for (int i = 0; i < 500 && client.connect() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Rate rate;
    {
        tr::KernelEndpoint endpoint(clock, klog, client);
        rate = run_consults(ctx, endpoint, seconds);
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    return rate;
}

Rate bare_ping_pong(double seconds) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        std::vector<char> buf(4096);
        for (;;) {
            const ssize_t n = ::recv(fds[1], buf.data(), buf.size(), 0);
            if (n <= 0) ::_exit(0);
            if (::send(fds[1], buf.data(), kMessage, MSG_NOSIGNAL) < 0) ::_exit(0);
        }
    }
    ::close(fds[1]);
    std::vector<char> out(kMessage, 'x'), in(4096);
    Rate rate;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::duration<double>(seconds);
    for (;;) {
        for (int i = 0; i < 1024; ++i) {
            if (::send(fds[0], out.data(), out.size(), MSG_NOSIGNAL) < 0 || ::recv(fds[0], in.data(), in.size(), 0) <= 0)
                throw std::runtime_error("ping-pong failed");
        }
        rate.round_trips += 1024;
        if (Clock::now() >= stop) break;
    }
    rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(fds[0]);
    ::waitpid(pid, nullptr, 0);
    return rate;
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (::sched_setaffinity(0, sizeof(set), &set) != 0)
        throw std::runtime_error(fmt::format("--cpu {}: {}", cpu, std::strerror(errno)));
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"ulog_bench: ulog round trips per second (in-process, socket, bare ping-pong)"};
    std::string ulogd;
    double seconds = 2.0;
    app.add_option("--ulogd", ulogd, "path of the dmemu-ulogd program")->required();
    app.add_option("--seconds", seconds, "time per measurement")->capture_default_str();
    std::string cpu = "0";
    app.add_option("--cpu", cpu,
                   "run every process of the measurement on this CPU, or 'any' (see below)")
        ->capture_default_str()
        ->check([](const std::string& v) {
            return v == "any" || (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos)
                       ? std::string()
                       : "a CPU number or 'any'";
        });
    std::string only;
    app.add_option("--only", only, "measure one carrier alone, for profiling")
        ->check(CLI::IsMember({"in-process", "socket", "bare"}));
    CLI11_PARSE(app, argc, argv);
    try {
        // One CPU for the bench and the processes it starts (children inherit the mask). On
        // two vCPUs of a VM, a ping-pong between CPUs pays the host's wake-up of an idle vCPU on
        // every message: the bare ping-pong alone was measured anywhere from 9,000/s to 170,000/s
        // from one run to the next, which drowns what the carrier costs. On one CPU each message
        // is one context switch, for the bare ping-pong and the carrier alike.
        if (cpu != "any") pin_to_cpu(std::stoi(cpu));
        if (!only.empty()) {
            const Rate r = only == "in-process" ? in_process(seconds)
                           : only == "socket"   ? over_socket(ulogd, seconds)
                                                : bare_ping_pong(seconds);
            fmt::print("{}: {:.0f} round trips/s\n", only, r.per_second());
            return 0;
        }
        const Rate bare = bare_ping_pong(seconds);
        const Rate sock = over_socket(ulogd, seconds);
        const Rate inproc = in_process(seconds);
        fmt::print("all processes on CPU {}\n", cpu);
        fmt::print("message size: {} bytes each way (cn_msg + dm_ulog_request + {} bytes)\n", kMessage, kPayload);
        fmt::print("{:<36}{:>14}\n", "carrier", "round trips/s");
        fmt::print("{:<36}{:>14.0f}\n", "in-process (virtual clock)", inproc.per_second());
        fmt::print("{:<36}{:>14.0f}\n", "socket (dmemu-ulogd process)", sock.per_second());
        fmt::print("{:<36}{:>14.0f}\n", "bare SOCK_SEQPACKET ping-pong", bare.per_second());
        fmt::print("ratio socket / bare:   {:.2f}  (target >= 0.80)\n", sock.per_second() / bare.per_second());
        fmt::print("in-process:            {:.2f} M/s  (target >= 1.00 M/s)\n", inproc.per_second() / 1e6);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ulog_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
