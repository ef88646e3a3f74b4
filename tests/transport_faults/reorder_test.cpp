// SPDX-License-Identifier: GPL-2.0-only
// reorder: swapped requests or replies still complete with the right data (the kernel matches
// by seq); a held message is released after its hold or at removal, never kept.
#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

// Two logs with different region sizes, and concurrent consults as the kernel allows them.
struct TwoLogs : World {
    TwoLogs() : World(1, {.one_in_flight = false}) {
        create_log(kUuid, kLuid, 1024);
        create_log(kOtherUuid, kOtherLuid, 2048);
    }
    void both_region_sizes() {
        first_seq = endpoint.next_seq();
        auto a = start(UlogRequestType::get_region_size, {}, 8, kUuid, kLuid);
        auto b = start(UlogRequestType::get_region_size, {}, 8, kOtherUuid, kOtherLuid);
        clock.run_until_idle();
        ASSERT_TRUE(*a);
        ASSERT_TRUE(*b);
        EXPECT_EQ(decode_region_size((*a)->data)->sectors, 1024u);
        EXPECT_EQ(decode_region_size((*b)->data)->sectors, 2048u);
    }
    std::uint32_t first_seq = 0;
};

TEST(TransportReorder, SwappedRequestsBothCompleteWithTheirOwnData) {
    TwoLogs w;
    w.add("reorder dir=to-server type=GET_REGION_SIZE times=1");
    w.both_region_sizes();
    const std::uint32_t a = w.first_seq, b = a + 1;
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), (std::vector<std::uint32_t>{b, a}));
    EXPECT_EQ(w.now(), 0s);
    EXPECT_TRUE(w.kernel_lines().empty());
    EXPECT_EQ(w.event_whats(),
              (std::vector<std::string>{"held, to be delivered after the next message to-server",
                                        "delivered after seq " + std::to_string(b)}));
}

TEST(TransportReorder, SwappedRepliesBothCompleteWithTheirOwnData) {
    TwoLogs w;
    w.add("reorder dir=to-kernel times=1");
    w.both_region_sizes();
    const std::uint32_t a = w.first_seq, b = a + 1;
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), (std::vector<std::uint32_t>{a, b}));
    ASSERT_EQ(w.events.size(), 2u);
    EXPECT_EQ(w.events[0].seq, a);  // a's reply was held ...
    EXPECT_EQ(w.events[1].what, "delivered after seq " + std::to_string(b));  // ... behind b's
    EXPECT_TRUE(w.kernel_lines().empty());
}

TEST(TransportReorder, AHeldMessageWithNothingBehindItIsReleasedAfterTheHold) {
    World w;  // one consult in flight: nothing follows a held request
    w.create_log();
    w.add("reorder hold=50ms dir=to-server");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 50ms);
    EXPECT_EQ(w.event_whats(),
              (std::vector<std::string>{"held, to be delivered after the next message to-server",
                                        "delivered after 50ms: no message followed"}));
    EXPECT_EQ(w.faults.list().at(0).fired, 1u);  // the release is a note, not a firing
}

TEST(TransportReorder, RemovingTheFaultDeliversTheHeldMessageAtOnce) {
    World w;
    w.create_log();
    const auto id = w.add("reorder hold=10s dir=to-server");
    auto slot = w.start(UlogRequestType::get_region_size, {}, 8);
    w.clock.run_until_idle(0s);
    EXPECT_FALSE(*slot);
    EXPECT_TRUE(w.faults.remove(id));
    w.clock.run_until_idle();
    ASSERT_TRUE(*slot);
    EXPECT_EQ((*slot)->error, 0);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_EQ(w.events.back().what, "delivered at removal");
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
