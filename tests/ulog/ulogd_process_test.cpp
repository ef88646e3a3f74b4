// SPDX-License-Identifier: GPL-2.0-only
// dmemu-ulogd as a real process on a Unix socket in a temp dir: start it as a child, one
// round trip (CTR, GET_REGION_SIZE) through the kernel endpoint, SIGTERM, clean exit.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "transfer/carriers/seqpacket_client.hpp"
#include "ulog_test_support.hpp"

namespace dmemu::logs::test {
namespace {

// Kills and reaps the child if the test stops early, so no server outlives a failed test.
struct ChildGuard {
    pid_t pid = -1;
    ~ChildGuard() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
    }
};

TEST(UlogdProcess, ServesOneRoundTripAndStopsOnSigterm) {
    char dir_template[] = "/tmp/dmemu-ulogd-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    const std::string dir = dir_template;
    const std::string sock = dir + "/ulog.sock";

    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        execl(DMEMU_ULOGD_PATH, "dmemu-ulogd", "--socket", sock.c_str(), "--log-level", "warn",
              static_cast<char*>(nullptr));
        _exit(127);
    }
    ChildGuard guard{pid};
    for (int i = 0; i < 500 && !std::filesystem::exists(sock); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_TRUE(std::filesystem::exists(sock));

    {
        boost::asio::io_context ctx;
        emu::RealClock clock(ctx);
        emu::KernelLog klog;
        klog.set_echo(false);
        transfer::SeqpacketClient client(ctx, sock, transfer::Side::kernel);
        // The socket file appears at bind(), a moment before listen(): retry until accepted.
        for (int i = 0; i < 500 && client.connect() != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_TRUE(client.connected());
        transfer::KernelEndpoint endpoint(clock, klog, client);
        std::optional<transfer::ConsultResult> ctr, grs;
        boost::asio::co_spawn(
            ctx,
            [&]() -> boost::asio::awaitable<void> {
                ctr =
                    co_await endpoint.consult("LVM-proc", 1, transfer::UlogRequestType::ctr,
                                              transfer::as_bytes("65536 clustered-core 1024"), 128);
                grs = co_await endpoint.consult("LVM-proc", 1,
                                                transfer::UlogRequestType::get_region_size, {}, 8);
                ctx.stop();
            },
            boost::asio::detached);
        ctx.run_for(std::chrono::seconds(10));
        ASSERT_TRUE(grs.has_value());
        EXPECT_EQ(ctr->error, 0);
        EXPECT_EQ(grs->error, 0);
        ASSERT_EQ(grs->data.size(), 8u);
        std::uint64_t size = 0;
        std::memcpy(&size, grs->data.data(), 8);
        EXPECT_EQ(size, 1024u);
    }

    ASSERT_EQ(kill(pid, SIGTERM), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    guard.pid = -1;
    EXPECT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_FALSE(std::filesystem::exists(sock));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dmemu::logs::test
