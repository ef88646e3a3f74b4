// SPDX-License-Identifier: GPL-2.0-only
// Bios through tables: routing, splitting, stacking, suspend holding I/O, read-only.
#include <cerrno>
#include <numeric>

#include "core_fixture.hpp"
#include "emu/faults/faulty_disk.hpp"
#include "emu/io/completion_batch.hpp"
#include "emu/io/memory_disk.hpp"

namespace dmemu::emu::testing {
namespace {

std::vector<std::byte> pattern(std::size_t sectors, unsigned seed) {
    std::vector<std::byte> b(sectors * kSectorSize);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::byte((i * 31 + seed) & 0xff);
    return b;
}

class Io : public CoreFixture {
protected:
    Io() {
        add_ram("ram0", 4096, DevT{1, 0});
        add_ram("ram1", 4096, DevT{1, 1});
    }
    // Submits a write of buf at sector 0 without running the loop; *result is set on completion.
    static void submit_write(BlockDevice& dev, std::vector<std::byte>& buf,
                             std::optional<int>* result) {
        Bio bio;
        bio.op = BioOp::write;
        bio.sectors = buf.size() / kSectorSize;
        bio.data = buf.data();
        bio.done = [result](int err) { *result = err; };
        dev.submit(std::move(bio));
    }
    MemoryDisk& disk(const char* name) {
        return dynamic_cast<MemoryDisk&>(dm_.find_faulty_disk(name)->media());
    }
    std::vector<std::byte> disk_bytes(const char* name, Sector s, std::size_t sectors) {
        std::vector<std::byte> b(sectors * kSectorSize);
        disk(name).read_now(s, b.data(), b.size());
        return b;
    }
};

TEST_F(Io, LinearRemapsWithOffset) {
    activate("lin", "0 1000 linear /dev/ram1 100");
    auto w = pattern(8, 1);
    ASSERT_EQ(io(*dm_.find_mapped("lin"), BioOp::write, 10, w), 0);
    EXPECT_EQ(disk_bytes("ram1", 110, 8), w);
    std::vector<std::byte> r(w.size());
    ASSERT_EQ(io(*dm_.find_mapped("lin"), BioOp::read, 10, r), 0);
    EXPECT_EQ(r, w);
}

TEST_F(Io, StripedPlacesChunksRoundRobin) {
    activate("str", "0 2048 striped 2 8 /dev/ram0 0 /dev/ram1 0");
    auto w = pattern(32, 2);  // four chunks: ram0 c0, ram1 c0, ram0 c1, ram1 c1
    ASSERT_EQ(io(*dm_.find_mapped("str"), BioOp::write, 0, w), 0);
    auto chunk = [&](int i) {
        return std::vector<std::byte>(w.begin() + i * 4096, w.begin() + (i + 1) * 4096);
    };
    EXPECT_EQ(disk_bytes("ram0", 0, 8), chunk(0));
    EXPECT_EQ(disk_bytes("ram1", 0, 8), chunk(1));
    EXPECT_EQ(disk_bytes("ram0", 8, 8), chunk(2));
    EXPECT_EQ(disk_bytes("ram1", 8, 8), chunk(3));
}

TEST_F(Io, BioSpanningTargetsIsSplit) {
    activate("two", "0 16 linear /dev/ram0 0\n16 16 linear /dev/ram1 100");
    auto w = pattern(16, 3);
    ASSERT_EQ(io(*dm_.find_mapped("two"), BioOp::write, 8, w), 0);
    EXPECT_EQ(disk_bytes("ram0", 8, 8), std::vector<std::byte>(w.begin(), w.begin() + 4096));
    EXPECT_EQ(disk_bytes("ram1", 100, 8), std::vector<std::byte>(w.begin() + 4096, w.end()));
}

// The FUSE reader's path (completion_batch.hpp): a Bio split across two targets completes in the
// batch's run(), after submit() returned, with no step of the loop in between.
TEST_F(Io, InsideACompletionBatchASplitBioCompletesInItsRun) {
    activate("two", "0 16 linear /dev/ram0 0\n16 16 linear /dev/ram1 100");
    auto w = pattern(16, 4);
    std::optional<int> result;
    std::size_t ran = 0;
    {
        CompletionBatch batch(ctx_);
        Bio bio;
        bio.op = BioOp::write;
        bio.sector = 8;
        bio.sectors = 16;
        bio.data = w.data();
        bio.done = [&result](int err) { result = err; };
        dm_.find_mapped("two")->submit(std::move(bio));
        EXPECT_FALSE(result.has_value()) << "done() ran inside submit()";
        batch.run();
        ran = batch.ran();
    }
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, 0);
    EXPECT_EQ(ran, 3u) << "two pieces and the splitter's own reference";
    EXPECT_EQ(ctx_.poll(), 0u) << "nothing was left to the loop";
    EXPECT_EQ(disk_bytes("ram1", 100, 8), std::vector<std::byte>(w.begin() + 4096, w.end()));
}

TEST_F(Io, ErrorAndZeroTargets) {
    activate("mix", "0 8 zero\n8 8 error");
    std::vector<std::byte> r = pattern(8, 4);
    ASSERT_EQ(io(*dm_.find_mapped("mix"), BioOp::read, 0, r), 0);
    EXPECT_EQ(r, std::vector<std::byte>(r.size()));
    EXPECT_EQ(io(*dm_.find_mapped("mix"), BioOp::read, 8, r), -EIO);
    // A bio that touches the error target fails as a whole.
    std::vector<std::byte> both(16 * kSectorSize);
    EXPECT_EQ(io(*dm_.find_mapped("mix"), BioOp::read, 0, both), -EIO);
}

TEST_F(Io, BeyondEndFails) {
    activate("lin", "0 100 linear /dev/ram0 0");
    auto w = pattern(8, 5);
    EXPECT_EQ(io(*dm_.find_mapped("lin"), BioOp::write, 96, w), -EIO);
}

TEST_F(Io, StackedDevicesReachTheDisk) {
    activate("lower", "0 1000 linear /dev/ram0 500");
    activate("upper", "0 500 linear /dev/mapper/lower 100");
    EXPECT_EQ(info("lower").info.open_count, 1u);
    auto w = pattern(4, 6);
    ASSERT_EQ(io(*dm_.find_mapped("upper"), BioOp::write, 0, w), 0);
    EXPECT_EQ(disk_bytes("ram0", 600, 4), w);
    EXPECT_EQ(simple(DmCommand::dev_remove, "lower").error, -EBUSY);
    simple(DmCommand::dev_remove, "upper");
    EXPECT_EQ(info("lower").info.open_count, 0u);
}

TEST_F(Io, SuspendHoldsIoUntilResume) {
    activate("lin", "0 1000 linear /dev/ram0 0");
    suspend("lin");
    auto w = pattern(8, 7);
    std::optional<int> result;
    submit_write(*dm_.find_mapped("lin"), w, &result);
    clock_.advance(std::chrono::seconds(60));
    EXPECT_FALSE(result.has_value()) << "I/O must be held, not failed, while suspended";
    EXPECT_EQ(dm_.find_mapped("lin")->held(), 1u);
    resume("lin");
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(*result, 0);
    EXPECT_EQ(disk_bytes("ram0", 0, 8), w);
}

TEST_F(Io, HeldIoGoesThroughTheNewTableAfterSwap) {
    activate("lin", "0 1000 linear /dev/ram0 0");
    load("lin", "0 1000 linear /dev/ram1 0");
    suspend("lin");
    auto w = pattern(8, 8);
    std::optional<int> result;
    submit_write(*dm_.find_mapped("lin"), w, &result);
    clock_.run_until_idle();
    resume("lin");
    ASSERT_EQ(result, 0);
    EXPECT_EQ(disk_bytes("ram1", 0, 8), w);
    EXPECT_EQ(disk_bytes("ram0", 0, 8), std::vector<std::byte>(w.size()));
}

TEST_F(Io, ReadOnlyTableRefusesWrites) {
    create("ro");
    load("ro", "0 100 linear /dev/ram0 0", true);
    resume("ro");
    auto w = pattern(1, 9);
    EXPECT_EQ(io(*dm_.find_mapped("ro"), BioOp::write, 0, w), -EROFS);
    EXPECT_EQ(io(*dm_.find_mapped("ro"), BioOp::read, 0, w), 0);
}

TEST_F(Io, FlushReachesEveryStripe) {
    activate("str", "0 2048 striped 2 8 /dev/ram0 0 /dev/ram1 0");
    std::vector<std::byte> none;
    EXPECT_EQ(io(*dm_.find_mapped("str"), BioOp::flush, 0, none), 0);
}

TEST_F(Io, ReadAheadFollowsStripedIoOpt) {
    activate("lin", "0 1000 linear /dev/ram0 0");
    activate("str", "0 2048 striped 2 128 /dev/ram0 0 /dev/ram1 0");
    activate("up", "0 2048 linear /dev/mapper/str 0");
    EXPECT_EQ(info("lin").info.read_ahead, 256u);
    EXPECT_EQ(info("str").info.read_ahead, 512u);
    EXPECT_EQ(info("up").info.read_ahead, 512u);
}

TEST_F(Io, StripedStatusShowsDeadStripeAndRaisesEvent) {
    activate("bad", "0 64 error");
    activate("str", "0 128 striped 2 8 /dev/ram0 0 /dev/mapper/bad 0");
    auto r = pattern(16, 0);
    EXPECT_EQ(io(*dm_.find_mapped("str"), BioOp::read, 0, r), -EIO);
    EXPECT_EQ(status("str").targets.at(0).params, "2 1:0 254:0 1 AD");
    EXPECT_EQ(info("str").info.event_nr, 1u);
}

}  // namespace
}  // namespace dmemu::emu::testing
