// SPDX-License-Identifier: GPL-2.0-only
// delay: messages wait on the virtual Clock; a reply delayed past 15 s arrives after the
// kernel has resent, the resend's reply is used and the late one is dropped silently.
#include <set>

#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

constexpr std::uint32_t kGetRegionSize = 6;

TEST(TransportDelay, DelayWithinTheTimeoutOnlyDelays) {
    FaultedWorld w("delay ms=40 dir=to-kernel");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 40ms);
    EXPECT_TRUE(w.kernel_lines().empty());
    EXPECT_EQ(w.event_whats(), std::vector<std::string>{"delayed 40ms"});
}

TEST(TransportDelay, UniformDelaysStayWithinTheirBoundsAndVary) {
    World w(7);
    w.create_log();
    w.add("delay dist=uniform:1-20ms dir=both");
    std::set<emu::Duration> seen;
    for (int i = 0; i < 30; ++i) {
        const auto t0 = w.now();
        EXPECT_EQ(w.region_size(), 1024u);
        const auto took = w.now() - t0;  // one delay each way
        EXPECT_GE(took, 2ms);
        EXPECT_LE(took, 40ms);
        seen.insert(took);
    }
    EXPECT_GT(seen.size(), 20u);
    EXPECT_EQ(w.events.size(), 60u);
    EXPECT_TRUE(w.kernel_lines().empty());
}

TEST(TransportDelay, ReplyDelayedPastTheTimeoutIsDroppedAndTheResendsReplyUsed) {
    FaultedWorld w("delay ms=20000 dir=to-kernel times=1");
    const auto replies = w.server.link().delivered(Direction::to_kernel);
    auto slot = w.start(UlogRequestType::get_region_size, {}, 8);
    w.clock.run_until_idle(16s);  // stops before the late reply lands at 20 s
    ASSERT_TRUE(*slot);
    EXPECT_EQ((*slot)->error, 0);
    EXPECT_EQ(decode_region_size((*slot)->data)->sectors, 1024u);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kGetRegionSize, w.seq)});
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              (std::vector<std::uint32_t>{w.seq, w.seq + 1}));

    w.clock.run_until_idle();
    EXPECT_EQ(w.now(), 20s);
    EXPECT_EQ(w.server.link().delivered(Direction::to_kernel) - replies, 2u);  // it did land
    EXPECT_EQ(w.kernel_lines().size(), 1u);  // and was dropped without a word
    EXPECT_EQ(w.endpoint.waiting(), 0u);
}

TEST(TransportDelay, RequestDelayedPastTheTimeoutReachesTheServerAfterItsResend) {
    FaultedWorld w("delay ms=20000 dir=to-server times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 20s);  // run_until_idle also delivered the late request
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              (std::vector<std::uint32_t>{w.seq + 1, w.seq}));
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kGetRegionSize, w.seq)});
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
