// SPDX-License-Identifier: GPL-2.0-only
// UlogServerEndpoint: replies shaped as cmirrord's kernel_send_helper, bare acks as its
// kernel_ack, malformed requests dropped.
#include "transfer/ulog_server_endpoint.hpp"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/in_process.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;
using test::bytes_of;

class UlogServerEndpointTest : public ::testing::Test {
protected:
    UlogServerEndpointTest() {
        link.kernel_side().set_receiver([this](Bytes m) { at_kernel.push_back(std::move(m)); });
    }
    void drain() {
        ctx.restart();
        ctx.poll();
    }

    boost::asio::io_context ctx;
    InProcessLink link{ctx};
    std::vector<Bytes> at_kernel;
    std::vector<UlogMessage> handled;
};

TEST_F(UlogServerEndpointTest, HandsDecodedRequestsToTheHandler) {
    UlogServerEndpoint server(link.server_side(),
                              [&](const UlogMessage& rq) { handled.push_back(rq); });
    const UlogMessage rq =
        make_request("LVM-u", 9, UlogRequestType::in_sync, 3, encode_payload(Region{4}));
    link.kernel_side().send(encode(rq));
    drain();
    ASSERT_EQ(handled.size(), 1u);
    EXPECT_EQ(handled[0], rq);
}

TEST_F(UlogServerEndpointTest, ReplyEchoesTheRequestHeaderWithCnSeqZero) {
    UlogServerEndpoint server(link.server_side(), [&](const UlogMessage& rq) {
        server.reply(rq, 0, encode_payload(S64Reply{1}));
    });
    const UlogMessage rq =
        make_request("LVM-u", 9, UlogRequestType::in_sync, 3, encode_payload(Region{4}));
    link.kernel_side().send(encode(rq));
    drain();
    ASSERT_EQ(at_kernel.size(), 1u);
    auto reply = decode(at_kernel[0]);
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->cn.seq, 0u);
    EXPECT_EQ(reply->cn.ack, 0u);
    UlogHeader expected = *rq.req;
    EXPECT_EQ(*reply->req, expected);
    EXPECT_EQ(reply->payload, encode_payload(S64Reply{1}));
}

TEST_F(UlogServerEndpointTest, ReplyCarriesTheError) {
    UlogServerEndpoint server(link.server_side(),
                              [&](const UlogMessage& rq) { server.reply(rq, -ENOMEM); });
    link.kernel_side().send(encode(make_request("u", 1, UlogRequestType::resume, 8, {})));
    drain();
    ASSERT_EQ(at_kernel.size(), 1u);
    auto reply = decode(at_kernel[0]);
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->req->error, -ENOMEM);
    EXPECT_TRUE(reply->payload.empty());
}

TEST_F(UlogServerEndpointTest, AckIsABareCnMsg) {
    UlogServerEndpoint server(link.server_side(),
                              [&](const UlogMessage& rq) { server.ack(rq.req->seq, 0); });
    link.kernel_side().send(
        encode(make_request("u", 1, UlogRequestType::clear_region, 77, encode_payload(Region{1}))));
    drain();
    ASSERT_EQ(at_kernel.size(), 1u);
    Bytes expected = bytes_of({7, 0, 0, 0, 1, 0, 0, 0, 77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_EQ(at_kernel[0], expected);
}

TEST_F(UlogServerEndpointTest, MalformedRequestIsDroppedAndCounted) {
    UlogServerEndpoint server(link.server_side(),
                              [&](const UlogMessage& rq) { handled.push_back(rq); });
    Bytes bad = encode(make_request("u", 1, UlogRequestType::dtr, 1, {}));
    bad[20 + 152] = std::byte{0};  // request_type 0: cmirrord's "Bad transmission"
    link.kernel_side().send(bad);
    link.kernel_side().send(bytes_of("short"));
    drain();
    EXPECT_TRUE(handled.empty());
    EXPECT_EQ(server.dropped(), 2u);
    EXPECT_TRUE(at_kernel.empty());
}

TEST_F(UlogServerEndpointTest, BareAckFromTheKernelSideIsDropped) {
    UlogServerEndpoint server(link.server_side(),
                              [&](const UlogMessage& rq) { handled.push_back(rq); });
    link.kernel_side().send(encode(make_bare_ack(1, 0)));
    drain();
    EXPECT_TRUE(handled.empty());
    EXPECT_EQ(server.dropped(), 1u);
}

TEST_F(UlogServerEndpointTest, ReplyTooLargeForTheConnectorIsRefused) {
    UlogServerEndpoint server(link.server_side(), nullptr);
    const UlogMessage rq = make_request("u", 1, UlogRequestType::status_info, 1, {});
    EXPECT_EQ(server.reply(rq, 0, Bytes(16384)), -EMSGSIZE);
    EXPECT_EQ(server.reply(make_bare_ack(1, 0), 0), -EINVAL);
}

TEST_F(UlogServerEndpointTest, StopsListeningWhenDestroyed) {
    {
        UlogServerEndpoint server(link.server_side(), nullptr);
        EXPECT_EQ(link.kernel_side().send(bytes_of("x")), 0);
    }
    EXPECT_EQ(link.kernel_side().send(bytes_of("x")), -ESRCH);
}

}  // namespace
}  // namespace dmemu::transfer
