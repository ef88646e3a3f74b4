// SPDX-License-Identifier: GPL-2.0-only
// drop: the kernel side under lost requests and lost replies behaves as dm_consult_userspace:
// a 15 s timeout, the DMWARN, a resend with a fresh seq, and the consult then succeeds.
#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

constexpr std::uint32_t kGetRegionSize = 6;

TEST(TransportDrop, DroppedRequestTimesOutAndIsResentWithAFreshSeq) {
    FaultedWorld w("drop dir=to-server type=GET_REGION_SIZE times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 15s);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kGetRegionSize, w.seq)});
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              std::vector<std::uint32_t>{w.seq + 1});  // the dropped one never arrived
    EXPECT_EQ(w.trace, std::vector<std::string>{
                           "t=0.000000000 link=ulog fault=1 kind=drop dir=to-server seq=" +
                           std::to_string(w.seq) + " type=GET_REGION_SIZE dropped"});
}

TEST(TransportDrop, DroppedReplyTimesOutAndTheServerSeesBothSends) {
    FaultedWorld w("drop dir=to-kernel times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 15s);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kGetRegionSize, w.seq)});
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              (std::vector<std::uint32_t>{w.seq, w.seq + 1}));
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_EQ(w.events[0].direction, Direction::to_kernel);
    EXPECT_EQ(w.events[0].seq, w.seq);
}

TEST(TransportDrop, SilentLinkRetriesEvery15sUntilTheFaultIsRemoved) {
    World w;
    w.create_log();
    const auto id = w.add("drop dir=to-server");
    const std::uint32_t seq = w.endpoint.next_seq();
    auto slot = w.start(UlogRequestType::get_region_size, {}, 8);
    w.clock.run_until_idle(50s);
    EXPECT_FALSE(*slot);
    EXPECT_EQ(w.kernel_lines(), (std::vector<std::string>{timed_out(kGetRegionSize, seq),
                                                          timed_out(kGetRegionSize, seq + 1),
                                                          timed_out(kGetRegionSize, seq + 2)}));
    EXPECT_EQ(w.faults.list().at(0).fired, 4u);  // sends at 0, 15, 30 and 45 s
    EXPECT_TRUE(w.faults.remove(id));
    w.clock.run_until_idle();
    ASSERT_TRUE(*slot);
    EXPECT_EQ((*slot)->error, 0);
    EXPECT_EQ(w.now(), 60s);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size), std::vector<std::uint32_t>{seq + 4});
}

TEST(TransportDrop, ProbabilityZeroNeverDrops) {
    FaultedWorld w("drop p=0");
    for (int i = 0; i < 20; ++i) EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 0s);
    EXPECT_TRUE(w.events.empty());
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
