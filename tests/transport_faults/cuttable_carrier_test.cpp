// SPDX-License-Identifier: GPL-2.0-only
// CuttableCarrier over an InProcessLink end: transparent while whole; while cut, sends return
// -ESRCH and deliveries are dropped, each reported; lifting the cut restores both.
#include "transfer/faults/cuttable_carrier.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <optional>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/carriers/in_process.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;
using test::bytes_of;

class CuttableCarrierTest : public ::testing::Test {
protected:
    CuttableCarrierTest() {
        cuttable.set_receiver([this](Bytes m) { kernel_got.push_back(m); });
        link.server_side().set_receiver([this](Bytes m) { server_got.push_back(m); });
        cuttable.set_refusal_observer([this](Direction d, std::span<const std::byte> m) {
            refused.emplace_back(d, Bytes(m.begin(), m.end()));
        });
    }

    boost::asio::io_context ctx;
    InProcessLink link{ctx};
    CuttableCarrier cuttable{link.kernel_side()};
    std::vector<Bytes> kernel_got, server_got;
    std::vector<std::pair<Direction, Bytes>> refused;
};

TEST_F(CuttableCarrierTest, ForwardsBothWaysWhileWhole) {
    EXPECT_EQ(cuttable.send(bytes_of("rq")), 0);
    EXPECT_EQ(link.server_side().send(bytes_of("rp")), 0);
    ctx.run();
    EXPECT_EQ(server_got, std::vector<Bytes>{bytes_of("rq")});
    EXPECT_EQ(kernel_got, std::vector<Bytes>{bytes_of("rp")});
    EXPECT_TRUE(refused.empty());
}

TEST_F(CuttableCarrierTest, CutRefusesSendsWithEsrchAndDropsDeliveries) {
    cuttable.set_cut(true);
    EXPECT_EQ(cuttable.send(bytes_of("rq")), -ESRCH);
    EXPECT_EQ(link.server_side().send(bytes_of("rp")), 0);  // the server does not know
    ctx.run();
    EXPECT_TRUE(server_got.empty());
    EXPECT_TRUE(kernel_got.empty());
    EXPECT_EQ(refused,
              (std::vector<std::pair<Direction, Bytes>>{{Direction::to_userspace, bytes_of("rq")},
                                                        {Direction::to_kernel, bytes_of("rp")}}));
    EXPECT_EQ(cuttable.refused(), 2u);
}

TEST_F(CuttableCarrierTest, LiftingTheCutRestoresBothWays) {
    cuttable.set_cut(true);
    EXPECT_EQ(cuttable.send(bytes_of("lost")), -ESRCH);
    cuttable.set_cut(false);
    EXPECT_EQ(cuttable.send(bytes_of("rq")), 0);
    EXPECT_EQ(link.server_side().send(bytes_of("rp")), 0);
    ctx.run();
    EXPECT_EQ(server_got, std::vector<Bytes>{bytes_of("rq")});
    EXPECT_EQ(kernel_got, std::vector<Bytes>{bytes_of("rp")});
}

TEST_F(CuttableCarrierTest, MessageSentBeforeTheCutStillArrivesAtTheFarEnd) {
    EXPECT_EQ(cuttable.send(bytes_of("rq")), 0);
    cuttable.set_cut(true);
    ctx.run();
    EXPECT_EQ(server_got, std::vector<Bytes>{bytes_of("rq")});
}

TEST(CuttableCarrier, DestructionUnhooksItsReceiver) {
    boost::asio::io_context ctx;
    InProcessLink link{ctx};
    link.server_side().set_receiver([](Bytes) {});
    {
        CuttableCarrier cuttable(link.kernel_side());
        cuttable.set_receiver([](Bytes) { FAIL() << "delivered to a destroyed carrier"; });
        EXPECT_EQ(link.server_side().send(bytes_of("in flight")), 0);
    }
    ctx.run();
    EXPECT_EQ(link.server_side().send(bytes_of("rp")), -ESRCH);  // nobody listens any more
}

}  // namespace
}  // namespace dmemu::transfer
