// SPDX-License-Identifier: GPL-2.0-only
// eio: fails exactly the bios the spec names, transient draws come from the seed, sticky errors
// stay, and every firing is reported with its time and range.
#include <cerrno>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::milliseconds;

class Eio : public FaultyDiskFixture {};

TEST_F(Eio, FailsMatchingOpsInsideTheRangeOnly) {
    add("eio sectors=100-199 op=read");
    EXPECT_EQ(io(BioOp::read, 100, 8), -EIO);
    EXPECT_EQ(io(BioOp::read, 196, 8), -EIO);  // overlaps the last sector
    EXPECT_EQ(io(BioOp::read, 92, 8), 0);      // ends at 99
    EXPECT_EQ(io(BioOp::read, 200, 8), 0);     // the range is inclusive of 199 only
    EXPECT_EQ(io(BioOp::write, 100, 8, nullptr, 5), 0);
    EXPECT_EQ(on_media(100, 8), pattern(8, 5));
    EXPECT_EQ(io(BioOp::flush, 0, 0), 0);
    EXPECT_EQ(events_.size(), 2u);
}

TEST_F(Eio, AFailedWriteDoesNotLand) {
    fill_media(10, 4, 1);
    add("eio sectors=10 op=write");
    EXPECT_EQ(io(BioOp::write, 8, 4, nullptr, 9), -EIO);
    EXPECT_EQ(on_media(10, 4), pattern(4, 1));
    EXPECT_EQ(io(BioOp::read, 10, 1), 0);
}

TEST_F(Eio, DefaultIsReadsAndWritesEverywhere) {
    add("eio");
    EXPECT_EQ(io(BioOp::read, 0, 1), -EIO);
    EXPECT_EQ(io(BioOp::write, kSectors - 1, 1), -EIO);
    EXPECT_EQ(io(BioOp::flush, 0, 0), 0);
    EXPECT_EQ(io(BioOp::discard, 0, 8), 0);
}

TEST_F(Eio, FlushOpFailsFlushes) {
    add("eio op=flush");
    EXPECT_EQ(io(BioOp::flush, 0, 0), -EIO);
    EXPECT_EQ(io(BioOp::read, 0, 1), 0);
}

TEST_F(Eio, ReportsTimeDiskKindRangeAndWhatHappened) {
    const FaultId id = add("eio sectors=100-199 op=read");
    clock_->advance(milliseconds(1500));
    EXPECT_EQ(io(BioOp::read, 96, 8), -EIO);
    ASSERT_EQ(events_.size(), 1u);
    const FaultEvent& e = events_[0];
    EXPECT_EQ(e.time.time_since_epoch(), milliseconds(1500));
    EXPECT_EQ(e.disk, "d0");
    EXPECT_EQ(e.kind, "eio");
    EXPECT_EQ(e.fault, id);
    EXPECT_EQ(e.sector, 96u);
    EXPECT_EQ(e.sectors, 8u);
    EXPECT_EQ(to_string(e),
              "t=1.500000000 disk=d0 fault=1 kind=eio sectors=96+8 read failed with -EIO");
    EXPECT_EQ(disk_->faults()[0].fired, 1u);
}

class EioSeeded : public Eio {
public:
    std::vector<bool> run(std::uint64_t seed, const std::string& spec, Sector sector = 150) {
        reset(seed);
        add(spec);
        std::vector<bool> failed;
        for (int i = 0; i < 200; ++i) failed.push_back(io(BioOp::read, sector, 1) == -EIO);
        return failed;
    }
};

TEST_F(EioSeeded, TransientFailuresAreReproducibleFromTheSeed) {
    const auto a = run(7, "eio sectors=100-199 p=0.5");
    EXPECT_EQ(run(7, "eio sectors=100-199 p=0.5"), a);
    EXPECT_NE(run(8, "eio sectors=100-199 p=0.5"), a);
    const auto failures = std::count(a.begin(), a.end(), true);
    EXPECT_GT(failures, 0);
    EXPECT_LT(failures, 200);
    // Transient: a read after a failure can succeed.
    bool recovered = false;
    for (std::size_t i = 1; i < a.size(); ++i) recovered = recovered || (a[i - 1] && !a[i]);
    EXPECT_TRUE(recovered);
}

TEST_F(EioSeeded, StickyFailuresNeverHeal) {
    const auto a = run(7, "eio sectors=100-199 p=0.1 sticky");
    const auto first = std::find(a.begin(), a.end(), true);
    ASSERT_NE(first, a.end());
    EXPECT_TRUE(std::all_of(first, a.end(), [](bool f) { return f; }));
    EXPECT_TRUE(std::none_of(a.begin(), first, [](bool f) { return f; }));
}

TEST_F(EioSeeded, StickyMarksOnlyTheSectorsThatFailed) {
    reset(3);
    add("eio sectors=0-99 p=0.05 sticky");
    // Read sector 10 until it goes bad, then sector 50 has never failed and still draws.
    int tries = 0;
    while (io(BioOp::read, 10, 1) == 0 && tries < 1000) ++tries;
    ASSERT_LT(tries, 1000);
    EXPECT_EQ(io(BioOp::read, 10, 1), -EIO);
    int failures = 0;
    for (int i = 0; i < 20; ++i) failures += io(BioOp::read, 50, 1) == -EIO;
    EXPECT_LT(failures, 20);
}

TEST_F(EioSeeded, ZeroProbabilityNeverFires) {
    const auto a = run(1, "eio p=0");
    EXPECT_TRUE(std::none_of(a.begin(), a.end(), [](bool f) { return f; }));
    EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace dmemu::emu::testing
