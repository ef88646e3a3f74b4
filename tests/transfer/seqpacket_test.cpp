// SPDX-License-Identifier: GPL-2.0-only
// The Unix SOCK_SEQPACKET carriers on a real io_context, between two sockets in a temp dir:
// byte-identical packets both ways, a consult end to end, -ESRCH without a server, reconnect
// after a server restart. Each test runs the loop only until its condition holds (5 s cap).
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <system_error>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/seqpacket_client.hpp"
#include "transfer/carriers/seqpacket_server.hpp"
#include "transfer/kernel_endpoint.hpp"
#include "transfer/ulog_payloads.hpp"
#include "transfer/ulog_server_endpoint.hpp"

namespace dmemu::transfer {
namespace {

using namespace std::chrono_literals;
using test::Bytes;
using test::bytes_of;

class SeqpacketTest : public test::SocketDirTest {};

Bytes oracle_ctr_request() {
    return encode(make_request("LVM-testuuid", 0xffff8d9d813bc200ULL, UlogRequestType::ctr, 0,
                               as_bytes("65536 clustered-core 1024")));
}

TEST_F(SeqpacketTest, PacketsCrossUnchangedBothWays) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel);
    std::vector<Bytes> at_server, at_kernel;
    server.set_receiver([&](Bytes m) { at_server.push_back(std::move(m)); });
    client.set_receiver([&](Bytes m) { at_kernel.push_back(std::move(m)); });

    const Bytes request = oracle_ctr_request();
    ASSERT_EQ(client.send(request), 0);
    ASSERT_TRUE(run_until([&] { return at_server.size() == 1; }));
    EXPECT_EQ(at_server[0], request);  // exactly cn_msg + dm_ulog_request + data

    const Bytes ack = encode(make_bare_ack(0, 0));
    ASSERT_EQ(server.send(ack), 0);
    ASSERT_TRUE(run_until([&] { return at_kernel.size() == 1; }));
    EXPECT_EQ(at_kernel[0], ack);
}

TEST_F(SeqpacketTest, PacketBoundariesArePreserved) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel);
    std::vector<Bytes> at_server;
    server.set_receiver([&](Bytes m) { at_server.push_back(std::move(m)); });
    for (unsigned n : {20u, 180u, 512u})
        ASSERT_EQ(client.send(Bytes(n, std::byte{static_cast<unsigned char>(n)})), 0);
    ASSERT_TRUE(run_until([&] { return at_server.size() == 3; }));
    EXPECT_EQ(at_server[0].size(), 20u);
    EXPECT_EQ(at_server[1].size(), 180u);
    EXPECT_EQ(at_server[2].size(), 512u);
}

TEST_F(SeqpacketTest, ConsultCompletesAgainstALogServerOverTheSocket) {
    SeqpacketServer server_carrier(ctx, path, Side::userspace);
    UlogServerEndpoint server(server_carrier, [&](const UlogMessage& rq) {
        server.reply(rq, 0, encode_payload(RegionSize{1024}));
    });
    SeqpacketClient client(ctx, path, Side::kernel);
    emu::RealClock clock(ctx);
    emu::KernelLog log;
    log.set_echo(false);
    KernelEndpoint endpoint(clock, log, client);

    auto result = test::spawn_consult(ctx, endpoint, "LVM-testuuid", 1,
                                      UlogRequestType::get_region_size, {}, 8);
    ASSERT_TRUE(run_until([&] { return result->has_value(); }));
    EXPECT_EQ((*result)->error, 0);
    EXPECT_EQ(decode_region_size((*result)->data)->sectors, 1024u);
    EXPECT_TRUE(log.since(0).empty());
}

TEST_F(SeqpacketTest, ClientWithoutServerIsEsrch) {
    SeqpacketClient client(ctx, path, Side::kernel);
    EXPECT_EQ(client.connect(), -ENOENT);
    EXPECT_EQ(client.send(Bytes(20)), -ESRCH);
    EXPECT_FALSE(client.connected());
}

TEST_F(SeqpacketTest, ClientWithoutAutoConnectStaysDisconnected) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel, /*auto_connect=*/false);
    EXPECT_EQ(client.send(Bytes(20)), -ESRCH);
    EXPECT_EQ(client.connect(), 0);
    EXPECT_EQ(client.send(Bytes(20)), 0);
}

TEST_F(SeqpacketTest, ServerWithoutPeerIsEsrch) {
    SeqpacketServer server(ctx, path, Side::userspace);
    EXPECT_FALSE(server.has_peer());
    EXPECT_EQ(server.send(Bytes(20)), -ESRCH);
}

TEST_F(SeqpacketTest, ClientSeesPeerGoneThenReconnectsToRestartedServer) {
    SeqpacketClient client(ctx, path, Side::kernel);
    std::vector<Bytes> at_second;
    {
        SeqpacketServer first(ctx, path, Side::userspace);
        first.set_receiver([](Bytes) {});
        ASSERT_EQ(client.send(Bytes(20)), 0);
        ASSERT_TRUE(run_until([&] { return first.has_peer(); }));
    }
    ASSERT_TRUE(run_until([&] { return !client.connected(); }));
    EXPECT_EQ(client.send(Bytes(20)), -ESRCH);  // socket file gone with the server

    SeqpacketServer second(ctx, path, Side::userspace);
    second.set_receiver([&](Bytes m) { at_second.push_back(std::move(m)); });
    ASSERT_EQ(client.send(bytes_of("again")), 0);
    ASSERT_TRUE(run_until([&] { return at_second.size() == 1; }));
    EXPECT_EQ(at_second[0], bytes_of("again"));
}

TEST_F(SeqpacketTest, ServerDroppingThePeerDisconnectsTheClient) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel, /*auto_connect=*/false);
    ASSERT_EQ(client.connect(), 0);
    ASSERT_TRUE(run_until([&] { return server.has_peer(); }));
    server.drop_peer();
    EXPECT_EQ(server.send(Bytes(20)), -ESRCH);
    ASSERT_TRUE(run_until([&] { return !client.connected(); }));
    EXPECT_EQ(client.send(Bytes(20)), -ESRCH);
}

TEST_F(SeqpacketTest, NewestPeerReplacesTheOld) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient old_client(ctx, path, Side::kernel, false);
    SeqpacketClient new_client(ctx, path, Side::kernel, false);
    std::vector<Bytes> at_new;
    new_client.set_receiver([&](Bytes m) { at_new.push_back(std::move(m)); });
    ASSERT_EQ(old_client.connect(), 0);
    ASSERT_TRUE(run_until([&] { return server.has_peer(); }));
    ASSERT_EQ(new_client.connect(), 0);
    ASSERT_TRUE(run_until([&] { return !old_client.connected(); }));
    ASSERT_EQ(server.send(bytes_of("hello")), 0);
    ASSERT_TRUE(run_until([&] { return at_new.size() == 1; }));
}

TEST_F(SeqpacketTest, HooksApplyToSeqpacketTraffic) {
    SeqpacketServer server(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel);
    auto drop = std::make_shared<test::DropHook>(Direction::to_userspace, 1);
    client.hooks().append(drop);
    std::vector<Bytes> at_server;
    server.set_receiver([&](Bytes m) { at_server.push_back(std::move(m)); });
    ASSERT_EQ(client.send(bytes_of("dropped")), 0);
    ASSERT_EQ(client.send(bytes_of("kept")), 0);
    ASSERT_TRUE(run_until([&] { return at_server.size() == 1; }));
    EXPECT_EQ(at_server[0], bytes_of("kept"));
    EXPECT_EQ(drop->dropped(), 1);
}

TEST_F(SeqpacketTest, ServerRefusesAPathThatIsNotASocket) {
    std::ofstream(path) << "not a socket";
    EXPECT_THROW(SeqpacketServer(ctx, path, Side::userspace), std::system_error);
    EXPECT_TRUE(std::filesystem::exists(path));
}

TEST_F(SeqpacketTest, ServerReplacesAStaleSocketFile) {
    { SeqpacketServer first(ctx, path, Side::userspace); }
    // Leave a socket file behind as a crashed server would.
    SeqPacketProtocol::acceptor stale(ctx, SeqPacketProtocol::endpoint(path));
    stale.close();
    ASSERT_TRUE(std::filesystem::exists(path));
    SeqpacketServer second(ctx, path, Side::userspace);
    SeqpacketClient client(ctx, path, Side::kernel);
    EXPECT_EQ(client.connect(), 0);
}

}  // namespace
}  // namespace dmemu::transfer
