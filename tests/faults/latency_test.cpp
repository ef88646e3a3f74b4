// SPDX-License-Identifier: GPL-2.0-only
// latency: delays on the virtual clock, only for matching bios, seeded draws within bounds.
#include <set>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

class Latency : public FaultyDiskFixture {};

TEST_F(Latency, FixedDelayOnTheVirtualClock) {
    add("latency ms=5");
    auto w = submit(BioOp::write, 0, 8, 3);
    clock_->advance(milliseconds(4));
    EXPECT_FALSE(w->err.has_value());
    EXPECT_EQ(disk_->in_flight(), 1u);
    EXPECT_NE(on_media(0, 8), pattern(8, 3));  // not on the media before the delay is over
    clock_->advance(milliseconds(1));
    ASSERT_EQ(w->err, 0);
    EXPECT_EQ(w->at.time_since_epoch(), milliseconds(5));
    EXPECT_EQ(on_media(0, 8), pattern(8, 3));
    EXPECT_EQ(event_lines(),
              std::vector<std::string>{
                  "t=0.000000000 disk=d0 fault=1 kind=latency sectors=0+8 write delayed 5ms"});
}

TEST_F(Latency, OnlyMatchingBiosWait) {
    add("latency us=500 op=write sectors=100-199");
    auto r = submit(BioOp::read, 100, 8);
    auto outside = submit(BioOp::write, 300, 8);
    auto inside = submit(BioOp::write, 150, 8);
    clock_->advance(Duration::zero());
    EXPECT_EQ(r->err, 0);
    EXPECT_EQ(outside->err, 0);
    EXPECT_FALSE(inside->err.has_value());
    clock_->run_until_idle();
    EXPECT_EQ(inside->at.time_since_epoch(), microseconds(500));
    EXPECT_EQ(events_.size(), 1u);
}

TEST_F(Latency, DelaysOfSeveralFaultsAddUp) {
    add("latency ms=5");
    add("latency dist=fixed:500us");
    auto r = submit(BioOp::flush, 0, 0);
    clock_->run_until_idle();
    EXPECT_EQ(r->at.time_since_epoch(), microseconds(5500));
    EXPECT_EQ(events_.size(), 2u);
}

TEST_F(Latency, AReadOvertakesADelayedWrite) {
    fill_media(0, 8, 1);
    add("latency ms=10 op=write");
    auto w = submit(BioOp::write, 0, 8, 2);
    auto r = submit(BioOp::read, 0, 8);
    clock_->run_until_idle();
    EXPECT_LT(r->at, w->at);
    EXPECT_EQ(r->buf, pattern(8, 1));
}

class LatencySeeded : public Latency {
public:
    std::vector<Duration> run(std::uint64_t seed) {
        reset(seed);
        add("latency dist=uniform:1-10ms");
        std::vector<Duration> out;
        for (int i = 0; i < 100; ++i) {
            const TimePoint start = clock_->now();
            auto p = submit(BioOp::read, Sector(i), 1);
            clock_->run_until_idle();
            out.push_back(p->at - start);
        }
        return out;
    }
};

TEST_F(LatencySeeded, UniformDrawsStayInBoundsAndFollowTheSeed) {
    const auto a = run(11);
    std::set<Duration> distinct(a.begin(), a.end());
    EXPECT_GT(distinct.size(), 50u);
    for (Duration d : a) {
        EXPECT_GE(d, milliseconds(1));
        EXPECT_LE(d, milliseconds(10));
    }
    EXPECT_EQ(run(11), a);
    EXPECT_NE(run(12), a);
}

}  // namespace
}  // namespace dmemu::emu::testing
