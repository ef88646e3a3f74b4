// SPDX-License-Identifier: GPL-2.0-only
// torn-write: at a power cut a write still in flight lands a seeded prefix of its sectors;
// without the fault it is lost whole; completed writes are never touched.
#include <set>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::milliseconds;

class TornWrite : public FaultyDiskFixture {
protected:
    // Writes 16 sectors of pattern 2 over pattern 1, cuts the power 5 ms into its 10 ms
    // latency, and returns how many leading sectors of the new data landed.
    std::uint64_t torn_prefix(std::uint64_t seed) {
        reset(seed);
        fill_media(0, 16, 1);
        add("latency ms=10");
        add("torn-write");
        auto w = submit(BioOp::write, 0, 16, 2);
        clock_->advance(milliseconds(5));
        EXPECT_EQ(cut(), media_);
        EXPECT_FALSE(w->err.has_value());  // never acknowledged
        const auto now = on_media(0, 16), old_data = pattern(16, 1), new_data = pattern(16, 2);
        std::uint64_t k = 0;
        while (k < 16 &&
               std::equal(now.begin() + k * kSectorSize, now.begin() + (k + 1) * kSectorSize,
                          new_data.begin() + k * kSectorSize))
            ++k;
        // Past the prefix, the old contents.
        EXPECT_TRUE(std::equal(now.begin() + k * kSectorSize, now.end(),
                               old_data.begin() + k * kSectorSize));
        return k;
    }
};

TEST_F(TornWrite, APrefixOfAnInFlightWriteLands) {
    const std::uint64_t k = torn_prefix(1);
    EXPECT_GE(k, 1u);
    EXPECT_LE(k, 15u);
    ASSERT_EQ(events_of("torn-write"), 1u);
    EXPECT_EQ(event_lines().back(),
              "t=0.005000000 disk=d0 fault=2 kind=torn-write sectors=0+16 torn write: landed " +
                  std::to_string(k) + " of 16 sectors");
}

TEST_F(TornWrite, ThePrefixFollowsTheSeed) {
    std::set<std::uint64_t> prefixes;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const std::uint64_t k = torn_prefix(seed);
        EXPECT_EQ(torn_prefix(seed), k);
        prefixes.insert(k);
    }
    EXPECT_GT(prefixes.size(), 3u);
}

TEST_F(TornWrite, WithoutTheFaultAnInFlightWriteIsLostWhole) {
    fill_media(0, 16, 1);
    add("latency ms=10");
    auto w = submit(BioOp::write, 0, 16, 2);
    clock_->advance(milliseconds(5));
    cut();
    EXPECT_EQ(on_media(0, 16), pattern(16, 1));
    EXPECT_EQ(event_lines().back(),
              "t=0.005000000 disk=d0 fault=0 kind=power-cut sectors=0+16 in-flight write lost");
}

TEST_F(TornWrite, WithoutLatencyAWriteIsOnTheMediaBeforeALaterCut) {
    add("torn-write");
    submit(BioOp::write, 0, 8, 2);
    cut();  // runs from the loop, after the write's own turn
    EXPECT_EQ(events_of("torn-write"), 0u);
    EXPECT_EQ(on_media(0, 8), pattern(8, 2));
}

TEST_F(TornWrite, OneSectorIsAtomic) {
    add("latency ms=10");
    add("torn-write");
    submit(BioOp::write, 0, 1, 2);
    cut();
    EXPECT_EQ(events_of("torn-write"), 0u);
    EXPECT_EQ(on_media(0, 1), std::vector<std::byte>(kSectorSize));
}

TEST_F(TornWrite, CompletedWritesAndWritesOutsideTheRangeAreNotTorn) {
    add("latency ms=10");
    add("torn-write sectors=1000-1999");
    EXPECT_EQ(io(BioOp::write, 1000, 8, nullptr, 3), 0);
    submit(BioOp::write, 0, 8, 4);  // in flight, outside the range
    cut();
    EXPECT_EQ(on_media(1000, 8), pattern(8, 3));
    EXPECT_EQ(on_media(0, 8), std::vector<std::byte>(8 * kSectorSize));
    EXPECT_EQ(events_of("torn-write"), 0u);
}

TEST_F(TornWrite, ZeroProbabilityLosesInsteadOfTearing) {
    add("latency ms=10");
    add("torn-write p=0");
    submit(BioOp::write, 0, 8, 4);
    cut();
    EXPECT_EQ(on_media(0, 8), std::vector<std::byte>(8 * kSectorSize));
    EXPECT_EQ(events_of("torn-write"), 0u);
    EXPECT_EQ(events_of("power-cut"), 2u);  // the cut and the lost write
}

}  // namespace
}  // namespace dmemu::emu::testing
