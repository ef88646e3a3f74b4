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
// Two more rows split socket / bare between the two sides, against the bare ping-pong's blocking
// echo server: the sending side on a plain Asio loop ("asio-loop", what any loop-driven carrier
// costs), and dmemu's kernel side as the daemon runs it ("kernel-side").
//
//   ulog_bench --ulogd PATH [--seconds S] [--rounds N] [--cpu N|any]
//              [--only in-process|socket|bare|asio-loop|kernel-side]
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
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "transfer/carriers/seq_packet_protocol.hpp"
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
            std::vector<std::byte> ctr_bytes(
                reinterpret_cast<const std::byte*>(ctr.data()),
                reinterpret_cast<const std::byte*>(ctr.data()) + ctr.size() + 1);
            auto r = co_await endpoint.consult("LVM-benchuuid", 1, tr::UlogRequestType::ctr,
                                               ctr_bytes, 512);
            auto s =
                co_await endpoint.consult("LVM-benchuuid", 1, tr::UlogRequestType::resume, {}, 0);
            if (r.error != 0 || s.error != 0) {
                failed = true;
                co_return;
            }
            std::vector<std::byte> region(kPayload);
            const auto start = Clock::now();
            const auto stop = start + std::chrono::duration<double>(seconds);
            for (;;) {
                for (int i = 0; i < 1024; ++i) {
                    auto x = co_await endpoint.consult(
                        "LVM-benchuuid", 1, tr::UlogRequestType::in_sync, region, kPayload);
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

// The daemon's kernel side (KernelEndpoint on SeqpacketClient, RealClock) against a server
// process that start_server(socket path) forks: dmemu-ulogd, or the bare echo.
template <typename StartServer>
Rate kernel_side_against(StartServer start_server, double seconds) {
    const std::string dir =
        std::filesystem::temp_directory_path() / ("ulog-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string sock = dir + "/ulogd.sock";
    const pid_t pid = start_server(sock);
    asio::io_context ctx(1);
    dmemu::emu::RealClock clock(ctx);
    dmemu::emu::KernelLog klog;
    klog.set_echo(false);
    tr::SeqpacketClient client(ctx, sock, tr::Side::kernel);
    for (int i = 0; i < 500 && client.connect() != 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    Rate rate;
    {
        tr::KernelEndpoint endpoint(clock, klog, client,
                                    {.resume_in_delivery = true});  // as the daemon
        rate = run_consults(ctx, endpoint, seconds);
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
    return rate;
}

Rate over_socket(const std::string& ulogd, double seconds) {
    return kernel_side_against(
        [&](const std::string& sock) {
            const pid_t pid = ::fork();
            if (pid == 0) {
                ::execl(ulogd.c_str(), "dmemu-ulogd", "--socket", sock.c_str(), "--log-level",
                        "warn", static_cast<char*>(nullptr));
                ::_exit(127);
            }
            return pid;
        },
        seconds);
}

// The bare server: a blocking recv/send loop that sends each message back as it came (a request
// echoed is a well-formed reply to itself: same seq, 8 bytes of data, error 0). Returns at EOF.
[[noreturn]] void echo_forever(int fd) {
    std::vector<char> buf(4096);
    for (;;) {
        const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n <= 0) ::_exit(0);
        if (::send(fd, buf.data(), static_cast<std::size_t>(n), MSG_NOSIGNAL) < 0) ::_exit(0);
    }
}

// A child process echoing on one end of a fresh socket pair; returns the other end.
int fork_echo(pid_t& pid) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::runtime_error("socketpair");
    pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        echo_forever(fds[1]);
    }
    ::close(fds[1]);
    return fds[0];
}

// A child process that accepts one connection on `path` and echoes on it.
pid_t fork_echo_listener(const std::string& path) {
    asio::io_context io;  // only to bind and listen; the child accepts on the bare descriptor
    tr::SeqPacketProtocol::acceptor acceptor(io, tr::SeqPacketProtocol::endpoint(path));
    const int listener = acceptor.release();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0) ::_exit(1);
        echo_forever(fd);
    }
    ::close(listener);
    return pid;
}

Rate kernel_side_to_echo(double seconds) {
    return kernel_side_against(fork_echo_listener, seconds);
}

// Blocking send and recv on both sides: the floor.
Rate bare_ping_pong(double seconds) {
    pid_t pid = 0;
    const int fd = fork_echo(pid);
    std::vector<char> out(kMessage, 'x'), in(4096);
    Rate rate;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::duration<double>(seconds);
    for (;;) {
        for (int i = 0; i < 1024; ++i) {
            if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) < 0 ||
                ::recv(fd, in.data(), in.size(), 0) <= 0)
                throw std::runtime_error("ping-pong failed");
        }
        rate.round_trips += 1024;
        if (Clock::now() >= stop) break;
    }
    rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    ::close(fd);
    ::waitpid(pid, nullptr, 0);
    return rate;
}

// The bare ping-pong with its sending side on an Asio loop (direct send, a coroutine awaiting
// async_receive), and nothing of dmemu: what any carrier driven by an Asio loop costs. Asio's
// receive tries a recvmsg first (EAGAIN: the echo has not run yet on this CPU), then waits in
// epoll_wait, then reads: three system calls where blocking recv makes one.
Rate asio_loop_ping_pong(double seconds) {
    pid_t pid = 0;
    const int fd = fork_echo(pid);
    asio::io_context ctx(1);
    tr::SeqPacketProtocol::socket socket(ctx, tr::SeqPacketProtocol(), fd);
    socket.non_blocking(true);
    Rate rate;
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            std::vector<char> out(kMessage, 'x'), in(4096);
            const auto start = Clock::now();
            const auto stop = start + std::chrono::duration<double>(seconds);
            for (;;) {
                for (int i = 0; i < 1024; ++i) {
                    socket.send(asio::buffer(out), 0);
                    asio::socket_base::message_flags flags = 0;
                    co_await socket.async_receive(asio::buffer(in), flags, asio::use_awaitable);
                }
                rate.round_trips += 1024;
                if (Clock::now() >= stop) break;
            }
            rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        },
        [](std::exception_ptr e) {
            if (e) std::rethrow_exception(e);
        });
    ctx.run();
    socket.close();
    ::waitpid(pid, nullptr, 0);
    return rate;
}

struct Spread {
    double median = 0, min = 0, max = 0;
};

Spread spread(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    const double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return {median, v.front(), v.back()};
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
    double seconds = 1.0;
    app.add_option("--ulogd", ulogd, "path of the dmemu-ulogd program")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--seconds", seconds, "time per measurement")->capture_default_str();
    int rounds = 5;
    app.add_option("--rounds", rounds,
                   "measure every carrier this many times, in turn (medians printed)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    std::string cpu = "0";
    app.add_option("--cpu", cpu,
                   "run every process of the measurement on this CPU, or 'any' (see below)")
        ->capture_default_str()
        ->check([](const std::string& v) {
            return v == "any" ||
                           (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos)
                       ? std::string()
                       : "a CPU number or 'any'";
        });
    std::string only;
    app.add_option("--only", only, "measure one carrier alone, for profiling")
        ->check(CLI::IsMember({"in-process", "socket", "bare", "asio-loop", "kernel-side"}));
    CLI11_PARSE(app, argc, argv);
    try {
        // One CPU for the bench and the processes it starts (children inherit the mask). On
        // two vCPUs of a VM, a ping-pong between CPUs pays the host's wake-up of an idle vCPU on
        // every message: the bare ping-pong alone was measured anywhere from 9,000/s to 170,000/s
        // from one run to the next, which drowns what the carrier costs. On one CPU each message
        // is one context switch, for the bare ping-pong and the carrier alike.
        if (cpu != "any") pin_to_cpu(std::stoi(cpu));
        if (!only.empty()) {
            const Rate r = only == "in-process"    ? in_process(seconds)
                           : only == "socket"      ? over_socket(ulogd, seconds)
                           : only == "asio-loop"   ? asio_loop_ping_pong(seconds)
                           : only == "kernel-side" ? kernel_side_to_echo(seconds)
                                                   : bare_ping_pong(seconds);
            fmt::print("{}: {:.0f} round trips/s\n", only, r.per_second());
            return 0;
        }
        // Rounds, each measuring every carrier once in turn: on a VM the same ping-pong moves by
        // 30 % from one second to the next, so a ratio is taken within a round (measurements
        // seconds apart) and the median over rounds is printed, with the range.
        std::vector<double> bare, loop, kernel, sock, inproc;
        for (int round = 0; round < rounds; ++round) {
            bare.push_back(bare_ping_pong(seconds).per_second());
            loop.push_back(asio_loop_ping_pong(seconds).per_second());
            kernel.push_back(kernel_side_to_echo(seconds).per_second());
            sock.push_back(over_socket(ulogd, seconds).per_second());
            inproc.push_back(in_process(seconds).per_second());
        }
        fmt::print("all processes on CPU {}; {} rounds of {} s per carrier; medians [min - max]\n",
                   cpu, rounds, seconds);
        fmt::print("message size: {} bytes each way (cn_msg + dm_ulog_request + {} bytes)\n",
                   kMessage, kPayload);
        fmt::print("{:<52}{:>14}\n", "carrier", "round trips/s");
        const auto row = [](std::string_view name, const std::vector<double>& v) {
            const Spread sp = spread(v);
            fmt::print("{:<52}{:>14.0f}  [{:.0f} - {:.0f}]\n", name, sp.median, sp.min, sp.max);
        };
        row("in-process (virtual clock)", inproc);
        row("socket (dmemu-ulogd process)", sock);
        row("bare SOCK_SEQPACKET ping-pong", bare);
        fmt::print("where the socket's time goes (same echo server, blocking):\n");
        row("  sending side on an Asio loop, no dmemu", loop);
        row("  dmemu's kernel side (daemon's carrier + endpoint)", kernel);
        const auto ratio = [](std::string_view name, const std::vector<double>& num,
                              const std::vector<double>& den, std::string_view note) {
            std::vector<double> r;
            for (std::size_t i = 0; i < num.size(); ++i) r.push_back(num[i] / den[i]);
            const Spread sp = spread(r);
            fmt::print("{:<34}{:.2f}  [{:.2f} - {:.2f}]  {}\n", name, sp.median, sp.min, sp.max,
                       note);
        };
        ratio("ratio socket / bare:", sock, bare, "(target >= 0.80)");
        ratio("  Asio loop / bare:", loop, bare, "(an event loop's floor)");
        ratio("  dmemu kernel side / Asio loop:", kernel, loop, "(dmemu's code on that loop)");
        ratio("  socket / dmemu kernel side:", sock, kernel, "(dmemu-ulogd against the bare echo)");
        fmt::print("in-process:                       {:.2f} M/s  (target >= 1.00 M/s)\n",
                   spread(inproc).median / 1e6);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ulog_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
