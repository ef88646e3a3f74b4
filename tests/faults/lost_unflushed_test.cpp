// SPDX-License-Identifier: GPL-2.0-only
// lost-unflushed: acknowledged writes wait in a volatile cache; flushed data and FUA writes
// always survive a power cut, unflushed writes are lost as the seed decides, per write.
#include <cerrno>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

class LostUnflushed : public FaultyDiskFixture {
protected:
    std::vector<std::byte> zeros(Sector sectors) const {
        return std::vector<std::byte>(sectors * kSectorSize);
    }
};

TEST_F(LostUnflushed, AcknowledgedWritesAreReadBackBeforeTheyAreOnTheMedia) {
    add("lost-unflushed");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 2), 0);
    EXPECT_EQ(disk_->unflushed_writes(), 1u);
    EXPECT_EQ(on_media(0, 8), zeros(8));
    std::vector<std::byte> buf;
    EXPECT_EQ(io(BioOp::read, 0, 8, &buf), 0);
    EXPECT_EQ(buf, pattern(8, 2));
}

TEST_F(LostUnflushed, ReadsLayCachedSectorsOverTheMedia) {
    fill_media(0, 16, 1);
    add("lost-unflushed");
    EXPECT_EQ(io(BioOp::write, 4, 4, nullptr, 2), 0);
    std::vector<std::byte> buf;
    EXPECT_EQ(io(BioOp::read, 0, 16, &buf), 0);
    auto expected = pattern(16, 1);
    const auto cached = pattern(4, 2);
    std::copy(cached.begin(), cached.end(), expected.begin() + 4 * kSectorSize);
    EXPECT_EQ(buf, expected);
}

TEST_F(LostUnflushed, FlushedDataAlwaysSurvivesUnflushedIsLost) {
    add("lost-unflushed p=1");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 1), 0);
    EXPECT_EQ(io(BioOp::flush, 0, 0), 0);
    EXPECT_EQ(on_media(0, 8), pattern(8, 1));  // a completed flush wrote it back
    EXPECT_EQ(disk_->unflushed_writes(), 0u);
    EXPECT_EQ(io(BioOp::write, 8, 8, nullptr, 2), 0);
    EXPECT_EQ(io(BioOp::write, 0, 4, nullptr, 3), 0);  // over flushed data
    cut();
    EXPECT_EQ(on_media(0, 8), pattern(8, 1));
    EXPECT_EQ(on_media(8, 8), zeros(8));
    EXPECT_EQ(events_of("lost-unflushed"), 2u);
}

TEST_F(LostUnflushed, FuaWritesSurviveAndSupersedeOlderCachedData) {
    add("lost-unflushed p=0");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 1), 0);  // cached
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 2, /*fua=*/true), 0);
    EXPECT_EQ(on_media(0, 8), pattern(8, 2));
    cut();  // the cached write survives (p=0) but must not land over the newer FUA data
    EXPECT_EQ(on_media(0, 8), pattern(8, 2));
}

TEST_F(LostUnflushed, SurvivorsLandInWriteOrder) {
    add("lost-unflushed p=0");
    EXPECT_EQ(io(BioOp::write, 0, 16, nullptr, 1), 0);
    EXPECT_EQ(io(BioOp::write, 8, 8, nullptr, 2), 0);
    cut();
    const auto first = pattern(16, 1);
    EXPECT_EQ(on_media(0, 8),
              std::vector<std::byte>(first.begin(), first.begin() + 8 * kSectorSize));
    EXPECT_EQ(on_media(8, 8), pattern(8, 2));
    EXPECT_EQ(events_of("lost-unflushed"), 0u);
}

TEST_F(LostUnflushed, ADiscardSupersedesCachedData) {
    add("lost-unflushed p=0");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 1), 0);
    fill_media(0, 8, 5);
    EXPECT_EQ(io(BioOp::discard, 0, 8), 0);
    std::vector<std::byte> buf;
    EXPECT_EQ(io(BioOp::read, 0, 8, &buf), 0);
    EXPECT_EQ(buf, zeros(8));
    cut();
    EXPECT_EQ(on_media(0, 8), zeros(8));
}

TEST_F(LostUnflushed, RemovingTheFaultWritesTheCacheBack) {
    const FaultId id = add("lost-unflushed");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 1), 0);
    EXPECT_TRUE(disk_->remove_fault(id));
    clock_->run_until_idle();
    EXPECT_EQ(on_media(0, 8), pattern(8, 1));
    EXPECT_EQ(disk_->unflushed_writes(), 0u);
    cut();
    EXPECT_EQ(on_media(0, 8), pattern(8, 1));
}

TEST_F(LostUnflushed, AFlushFailsWhenWritingBackFails) {
    add("lost-unflushed");
    EXPECT_EQ(io(BioOp::write, kSectors - 8, 8, nullptr, 1), 0);
    add("eio op=flush");
    EXPECT_EQ(io(BioOp::flush, 0, 0), -EIO);  // refused before reaching the media
    EXPECT_EQ(disk_->unflushed_writes(), 1u);
}

class LostUnflushedSeeded : public LostUnflushed {
public:
    // 20 writes to distinct places, unflushed, then a cut: which ones survived.
    std::vector<bool> run(std::uint64_t seed) {
        reset(seed);
        add("lost-unflushed p=0.5");
        for (int i = 0; i < 20; ++i) EXPECT_EQ(io(BioOp::write, Sector(i) * 8, 8, nullptr, 1), 0);
        cut();
        std::vector<bool> survived;
        for (int i = 0; i < 20; ++i)
            survived.push_back(on_media(Sector(i) * 8, 8) == pattern(8, 1));
        EXPECT_EQ(events_of("lost-unflushed"),
                  std::size_t(std::count(survived.begin(), survived.end(), false)));
        return survived;
    }
};

TEST_F(LostUnflushedSeeded, WhichWritesAreLostFollowsTheSeed) {
    const auto a = run(5);
    EXPECT_EQ(run(5), a);
    EXPECT_NE(run(6), a);
    const auto kept = std::count(a.begin(), a.end(), true);
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, 20);
}

}  // namespace
}  // namespace dmemu::emu::testing
