// SPDX-License-Identifier: GPL-2.0-only
// SeqpacketBlockingServer (dmemu-ulogd's carrier): serve() on a thread of its own, the kernel
// side a SeqpacketClient on the test's io_context. Packets cross unchanged, a reply goes back,
// a new peer replaces the current one, request_stop() ends serve() whether it waits in accept
// or in recvmsg, and the socket file is handled as SeqpacketServer handles it.
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include "transfer/carriers/seqpacket_blocking_server.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/seqpacket_client.hpp"

namespace dmemu::transfer {
namespace {

using namespace std::chrono_literals;
using test::Bytes;

class SeqpacketBlockingServerTest : public test::SocketDirTest {
protected:
    // serve() on a thread; the returned future is ready when it returns.
    std::future<void> serve_in_background(SeqpacketBlockingServer& server) {
        return std::async(std::launch::async, [&server] { server.serve(); });
    }

    static bool stops_within_5s(std::future<void>& served) {
        return served.wait_for(5s) == std::future_status::ready;
    }
};

// An echo server that prefixes nothing: the reply is the request's own buffer, as the log
// server's replies are.
void echo_on(SeqpacketBlockingServer& server) {
    server.set_receiver([&server](Bytes m) { server.send(std::move(m)); });
}

TEST_F(SeqpacketBlockingServerTest, RequestsCrossUnchangedAndRepliesComeBack) {
    SeqpacketBlockingServer server(path);
    std::vector<std::size_t> inspected;
    server.set_inspector([&](std::span<const std::byte> m) { inspected.push_back(m.size()); });
    echo_on(server);
    auto served = serve_in_background(server);

    SeqpacketClient client(ctx, path, Side::kernel);
    std::vector<Bytes> replies;
    client.set_receiver([&](Bytes m) { replies.push_back(std::move(m)); });
    std::vector<Bytes> sent;
    for (unsigned n : {20u, 180u, 512u, 4096u}) {
        sent.emplace_back(n, std::byte{static_cast<unsigned char>(n)});
        ASSERT_EQ(client.send(sent.back()), 0);
    }
    ASSERT_TRUE(run_until([&] { return replies.size() == sent.size(); }));
    EXPECT_EQ(replies, sent);  // boundaries and bytes kept both ways

    SeqpacketBlockingServer::request_stop();  // serve() waits in recvmsg
    ASSERT_TRUE(stops_within_5s(served));
    EXPECT_EQ(inspected, (std::vector<std::size_t>{20, 180, 512, 4096}));
}

TEST_F(SeqpacketBlockingServerTest, StopEndsServeWaitingInAccept) {
    SeqpacketBlockingServer server(path);
    auto served = serve_in_background(server);
    std::this_thread::sleep_for(20ms);  // let it block in accept (the stop must work either way)
    SeqpacketBlockingServer::request_stop();
    EXPECT_TRUE(stops_within_5s(served));
}

TEST_F(SeqpacketBlockingServerTest, AStopBeforeServeIsNotLost) {
    SeqpacketBlockingServer server(path);
    SeqpacketBlockingServer::request_stop();
    auto served = serve_in_background(server);
    EXPECT_TRUE(stops_within_5s(served));
}

TEST_F(SeqpacketBlockingServerTest, ANewPeerReplacesTheCurrentOne) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
    // The replacement rides on SIGIO interrupting the serving thread's recvmsg; ThreadSanitizer
    // holds an asynchronous signal's handler until the thread next enters the runtime, which a
    // thread blocked in recvmsg does not: the handler runs only after the test has given up.
    GTEST_SKIP() << "ThreadSanitizer defers the SIGIO handler this test relies on";
#endif
#endif
    SeqpacketBlockingServer server(path);
    echo_on(server);
    auto served = serve_in_background(server);

    SeqpacketClient first(ctx, path, Side::kernel);
    int first_replies = 0;
    first.set_receiver([&](Bytes) { ++first_replies; });
    ASSERT_EQ(first.send(Bytes(20, std::byte{1})), 0);
    ASSERT_TRUE(run_until([&] { return first_replies == 1; }));

    SeqpacketClient second(ctx, path, Side::kernel);
    int second_replies = 0;
    second.set_receiver([&](Bytes) { ++second_replies; });
    ASSERT_EQ(second.send(Bytes(20, std::byte{2})), 0);
    // The server closes the first connection and serves the second.
    ASSERT_TRUE(run_until([&] { return second_replies == 1 && !first.connected(); }));
    EXPECT_EQ(first_replies, 1);

    SeqpacketBlockingServer::request_stop();
    ASSERT_TRUE(stops_within_5s(served));
}

TEST_F(SeqpacketBlockingServerTest, SendWithoutPeerIsEsrch) {
    SeqpacketBlockingServer server(path);
    EXPECT_EQ(server.send(Bytes(20)), -ESRCH);
}

TEST_F(SeqpacketBlockingServerTest, OneInstancePerProcess) {
    SeqpacketBlockingServer server(path);
    EXPECT_THROW(SeqpacketBlockingServer((dir / "other.sock").string()), std::logic_error);
}

TEST_F(SeqpacketBlockingServerTest, SocketFileRemovedAtEndReplacedWhenStaleRefusedOtherwise) {
    { SeqpacketBlockingServer first(path); }
    EXPECT_FALSE(std::filesystem::exists(path));
    // Leave a socket file behind as a crashed server would.
    SeqPacketProtocol::acceptor stale(ctx, SeqPacketProtocol::endpoint(path));
    stale.close();
    ASSERT_TRUE(std::filesystem::exists(path));
    {
        SeqpacketBlockingServer second(path);
        SeqpacketClient client(ctx, path, Side::kernel);
        EXPECT_EQ(client.connect(), 0);
    }
    const std::string plain = (dir / "plain").string();
    std::ofstream(plain) << "not a socket";
    EXPECT_THROW(SeqpacketBlockingServer{plain}, std::system_error);
    EXPECT_TRUE(std::filesystem::exists(plain));
    // The instance slot is free again after a failed construction.
    EXPECT_NO_THROW(SeqpacketBlockingServer{path});
}

}  // namespace
}  // namespace dmemu::transfer
