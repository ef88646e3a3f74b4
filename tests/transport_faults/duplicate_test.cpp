// SPDX-License-Identifier: GPL-2.0-only
// duplicate: a duplicated request is handled twice by the server and the second reply, for a
// seq nobody waits on, is dropped silently; a duplicated reply is dropped the same way.
#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

TEST(TransportDuplicate, DuplicatedRequestIsHandledTwiceAndTheSecondReplyDropped) {
    FaultedWorld w("duplicate dir=to-server type=GET_REGION_SIZE");
    const auto replies = w.server.link().delivered(Direction::to_kernel);
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              (std::vector<std::uint32_t>{w.seq, w.seq}));
    EXPECT_EQ(w.server.link().delivered(Direction::to_kernel) - replies, 2u);
    EXPECT_TRUE(w.kernel_lines().empty());
    EXPECT_EQ(w.endpoint.waiting(), 0u);
    // The next consult is untouched by the stray reply.
    EXPECT_EQ(w.consult(UlogRequestType::get_sync_count, {}, 8).error, 0);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_sync_count),
              std::vector<std::uint32_t>{w.seq + 1});
    EXPECT_EQ(w.event_whats(), std::vector<std::string>{"duplicated"});
}

std::vector<std::int32_t> ctr_errors_seen_by_server(const World& w) {
    std::vector<std::int32_t> out;
    for (const auto& e : w.server.engine().events())
        if (e.type == UlogRequestType::ctr) out.push_back(e.error);
    return out;
}

// A stray reply is dropped once its waiter has run; a CTR's copy gets cmirrord's duplicate
// check ("Log already exists", -EINVAL), and the kernel, already answered, never sees it.
TEST(TransportDuplicate, StrayReplyAfterTheWaiterRanIsDropped) {
    World w(3);
    w.add("duplicate dir=to-server type=CTR");
    w.add("delay dist=uniform:1-10ms dir=to-server type=CTR");  // the copies arrive apart
    w.create_log();
    EXPECT_EQ(ctr_errors_seen_by_server(w), (std::vector<std::int32_t>{0, -EINVAL}));
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_TRUE(w.kernel_lines().empty());
}

// Both replies queued before the waiter runs: fill_pkg (dm-log-userspace-transfer.c) finds the
// waiter still on receiving_list (dm_consult_userspace unlinks it only when it wakes) and fills
// it again, so the last reply wins. The kernel has the same window; dmemu always takes it
// when the copies are back to back. Here a CTR the server accepted is reported failed.
TEST(TransportDuplicate, BackToBackRepliesBothReachTheWaiterAndTheLastWins) {
    World w;
    w.add("duplicate dir=to-server type=CTR");
    const std::string ctr = "65536 clustered-core 1024";
    EXPECT_EQ(w.consult(UlogRequestType::ctr, test::bytes_of(ctr), DM_NAME_LEN).error, -EINVAL);
    EXPECT_EQ(ctr_errors_seen_by_server(w), (std::vector<std::int32_t>{0, -EINVAL}));
    EXPECT_EQ(w.endpoint.waiting(), 0u);
    EXPECT_EQ(w.region_size(), 1024u);  // the log exists on the server all the same
}

TEST(TransportDuplicate, DuplicatedReplyIsDroppedSilently) {
    FaultedWorld w("duplicate dir=to-kernel");
    const auto replies = w.server.link().delivered(Direction::to_kernel);
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), std::vector<std::uint32_t>{w.seq});
    EXPECT_EQ(w.server.link().delivered(Direction::to_kernel) - replies, 2u);
    EXPECT_TRUE(w.kernel_lines().empty());
    EXPECT_EQ(w.now(), 0s);
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
