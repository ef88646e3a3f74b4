// SPDX-License-Identifier: GPL-2.0-only
// Resync, writes during resync and leg failures (the oracle's mirror-resync-and-failures).
#include "tests/mirror/mirror_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using MirrorResyncTest = MirrorFixture;

TEST_F(MirrorResyncTest, TwoLegResyncCopiesTheDefaultLeg) {
    fill_ram(0, 0, 65536, 3);
    activate("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(read_ram(0, 0, 65536), read_ram(1, 0, 65536));
}

TEST_F(MirrorResyncTest, ThreeLegResyncCopiesTheDefaultLegWithOffsets) {
    fill_ram(0, 0, 65536, 9);
    activate("m", "0 65536 mirror core 1 1024 3 /dev/ram0 0 /dev/ram1 100 /dev/ram3 4096");
    EXPECT_EQ(status_line("m"), "0 65536 mirror 3 1:0 1:1 1:3 64/64 1 AAA 1 core");
    EXPECT_EQ(read_ram(0, 0, 65536), read_ram(1, 100, 65536));
    EXPECT_EQ(read_ram(0, 0, 65536), read_ram(3, 4096, 65536));
}

TEST_F(MirrorResyncTest, ShortLastRegionIsCopied) {
    fill_ram(0, 0, 1000, 5);
    activate("m", "0 1000 mirror core 1 256 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("m"), "0 1000 mirror 2 1:0 1:1 4/4 1 AA 1 core");
    EXPECT_EQ(read_ram(0, 0, 1000), read_ram(1, 0, 1000));
}

TEST_F(MirrorResyncTest, WritesDuringResyncLandOnEveryLeg) {
    fill_ram(0, 0, 65536, 1);
    ASSERT_EQ(create("m").error, 0);
    ASSERT_EQ(load("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0").error, 0);
    auto md = dm_.find_mapped("m");
    ASSERT_TRUE(md);
    // Resume, then write to several regions while the resync is still running.
    std::vector<std::vector<std::byte>> bufs;
    int completed = 0;
    DmRequest r;
    r.cmd = DmCommand::dev_suspend;
    r.name = "m";
    bool resumed = false;
    boost::asio::co_spawn(
        ctx_,
        [&]() -> boost::asio::awaitable<void> {
            EXPECT_EQ((co_await dm_.ioctl(r)).error, 0);
            resumed = true;
        },
        boost::asio::detached);
    ctx_.restart();
    while (!resumed && ctx_.poll_one() != 0) {
    }
    ASSERT_TRUE(resumed);
    // The resync has only just started: most regions still differ.
    EXPECT_NE(read_ram(0, 20000, 8), read_ram(1, 20000, 8));
    for (Sector s : {Sector{0}, Sector{20000}, Sector{64000}, Sector{1020}}) {
        bufs.emplace_back(8 * kSectorSize, std::byte(0xA5 + s % 7));
        Bio bio;
        bio.op = BioOp::write;
        bio.sector = s;
        bio.sectors = 8;
        bio.data = bufs.back().data();
        bio.done = [&completed](int err) {
            EXPECT_EQ(err, 0);
            ++completed;
        };
        md->submit(std::move(bio));
    }
    clock_.run_until_idle();
    EXPECT_EQ(completed, 4);
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(read_ram(0, 0, 65536), read_ram(1, 0, 65536));
    EXPECT_EQ(read_ram(1, 20000, 8),
              std::vector<std::byte>(8 * kSectorSize, std::byte(0xA5 + 20000 % 7)));
}

TEST_F(MirrorResyncTest, WritesAfterSyncReachBothLegsAndReadBack) {
    activate("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    auto md = dm_.find_mapped("m");
    std::vector<std::byte> out(3000 * kSectorSize);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::byte(i * 13 + 1);
    ASSERT_EQ(io(*md, BioOp::write, 777, out), 0);
    EXPECT_EQ(read_ram(0, 777, 3000), out);
    EXPECT_EQ(read_ram(1, 777, 3000), out);
    std::vector<std::byte> in(out.size());
    ASSERT_EQ(io(*md, BioOp::read, 777, in), 0);
    EXPECT_EQ(in, out);
}

TEST_F(MirrorResyncTest, RecoveryWriteErrorWithHandleErrors) {
    activate("errdev", "0 131072 error");
    const auto lines = lines_of([&] {
        activate("mfail",
                 "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/mapper/errdev 0 1 handle_errors");
    });
    EXPECT_EQ(lines, std::vector<std::string>(
                         10, "device-mapper: raid1: Write error during recovery (error = 0x1)"));
    EXPECT_EQ(status_line("mfail"), "0 65536 mirror 2 1:0 254:0 0/64 1 AS 1 core");
    EXPECT_EQ(event_nr("mfail"), 1u);
}

TEST_F(MirrorResyncTest, RecoveryWriteErrorIgnoredWithoutHandleErrors) {
    activate("errdev", "0 131072 error");
    const auto lines = lines_of([&] {
        activate("mfail2", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/mapper/errdev 0");
    });
    EXPECT_EQ(lines, std::vector<std::string>{});
    EXPECT_EQ(status_line("mfail2"), "0 65536 mirror 2 1:0 254:0 64/64 1 AA 1 core");
    EXPECT_EQ(event_nr("mfail2"), 1u);
}

TEST_F(MirrorResyncTest, WriteErrorWithHandleErrorsMarksLegDead) {
    activate("errdev", "0 131072 error");
    ASSERT_EQ(create("m").error, 0);
    ASSERT_EQ(
        load("m",
             "0 65536 mirror core 2 1024 nosync 2 /dev/ram0 0 /dev/mapper/errdev 0 1 handle_errors")
            .error,
        0);
    ASSERT_EQ(resume("m").error, 0);
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 254:0 64/64 1 AA 1 core");
    auto md = dm_.find_mapped("m");
    std::vector<std::byte> buf(8 * kSectorSize, std::byte{7});
    std::optional<int> result;
    Bio bio;
    bio.op = BioOp::write;
    bio.sector = 2048;
    bio.sectors = 8;
    bio.data = buf.data();
    bio.done = [&](int err) { result = err; };
    md->submit(std::move(bio));
    clock_.run_until_idle();
    // The write is held (handle_errors without keep_log) until the mirror is suspended.
    EXPECT_FALSE(result.has_value());
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 254:0 63/64 1 AD 1 core");
    EXPECT_EQ(event_nr("m"), 1u);
    EXPECT_EQ(read_ram(0, 2048, 8), buf);
    ASSERT_EQ(suspend("m").error, 0);
    EXPECT_EQ(result, -EIO);
}

TEST_F(MirrorResyncTest, SuspendStopsRecoveryAndResumeRestartsIt) {
    ASSERT_EQ(create("m").error, 0);
    ASSERT_EQ(load("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0").error, 0);
    EXPECT_EQ(status("m", false, true).targets.at(0).params, "2 1:0 1:1 0/64 1 AA 1 core");
    ASSERT_EQ(resume("m").error, 0);
    ASSERT_EQ(suspend("m").error, 0);
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    ASSERT_EQ(resume("m").error, 0);
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
}

}  // namespace
}  // namespace dmemu::emu::testing
