// SPDX-License-Identifier: GPL-2.0-only
// dm-delay: bios held for their class's delay on the virtual clock (in jiffies, HZ 250) and
// released in arrival order, separate devices per class, INFO counts while held, and a suspend
// that releases everything at once. The t33 capture's table, status and error lines are
// replayed byte for byte by the cli suite's golden replay.
#include <cerrno>

#include "tests/targets/target_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::milliseconds;

class Delay : public TargetFixture {};

TEST_F(Delay, HoldsABioForItsDelayOnTheVirtualClock) {
    fill_ram(0, 16, 8, 1);
    activate("d", "0 65536 delay /dev/ram0 16 100");
    auto p = submit("d", BioOp::read, 0, 8);
    clock_.advance(Duration::zero());
    EXPECT_FALSE(p->err.has_value());
    EXPECT_EQ(status_line("d"), "0 65536 delay 1 0 0");
    clock_.advance(milliseconds(99));
    EXPECT_FALSE(p->err.has_value());
    clock_.advance(milliseconds(1));
    ASSERT_EQ(p->err, 0);
    EXPECT_EQ(p->at.time_since_epoch(), milliseconds(100));
    EXPECT_EQ(p->buf, pattern(8, 1));  // read through the offset
    EXPECT_EQ(status_line("d"), "0 65536 delay 0 0 0");
}

TEST_F(Delay, ExpiryIsCountedInWholeJiffies) {
    activate("d", "0 65536 delay /dev/ram0 0 1");
    advance_to(milliseconds(1));
    // jiffy 0 + msecs_to_jiffies(1) = jiffy 1, which starts at 4 ms.
    auto p = submit("d", BioOp::read, 0, 1);
    clock_.advance(milliseconds(2));
    EXPECT_FALSE(p->err.has_value());
    clock_.run_until_idle();
    ASSERT_EQ(p->err, 0);
    EXPECT_EQ(p->at.time_since_epoch(), milliseconds(4));
}

TEST_F(Delay, ReleasesHeldBiosInArrivalOrder) {
    activate("d", "0 65536 delay /dev/ram0 0 50");
    std::vector<std::shared_ptr<Pending>> writes;
    for (unsigned char seed = 1; seed <= 4; ++seed)
        writes.push_back(submit("d", BioOp::write, 0, 8, seed));
    clock_.advance(Duration::zero());
    EXPECT_EQ(status_line("d"), "0 65536 delay 0 4 0");
    clock_.run_until_idle();
    for (const auto& w : writes) {
        ASSERT_EQ(w->err, 0);
        EXPECT_EQ(w->at.time_since_epoch(), milliseconds(52));  // jiffy 13 = ceil(50 / 4)
    }
    EXPECT_EQ(read_ram(0, 0, 8), pattern(8, 4));  // the last write landed last
}

TEST_F(Delay, ShorterDelayOvertakesALongerOne) {
    activate("d", "0 65536 delay /dev/ram0 0 20 /dev/ram0 0 200");
    auto write = submit("d", BioOp::write, 0, 8, 3);
    auto read = submit("d", BioOp::read, 0, 8);
    clock_.run_until_idle();
    ASSERT_EQ(read->err, 0);
    ASSERT_EQ(write->err, 0);
    EXPECT_EQ(read->at.time_since_epoch(), milliseconds(20));
    EXPECT_EQ(write->at.time_since_epoch(), milliseconds(200));
    EXPECT_NE(read->buf, pattern(8, 3));  // read before the write landed
}

TEST_F(Delay, ZeroDelayClassPassesStraightThrough) {
    activate("d", "0 65536 delay /dev/ram0 0 0 /dev/ram1 0 100");
    auto read = submit("d", BioOp::read, 0, 8);
    clock_.advance(Duration::zero());
    EXPECT_EQ(read->err, 0);
    EXPECT_EQ(status_line("d"), "0 65536 delay 0 0 0");
}

TEST_F(Delay, EachClassGoesToItsOwnDeviceAndOffset) {
    fill_ram(0, 8, 8, 1);
    activate("d", "0 65536 delay /dev/ram0 8 10 /dev/ram1 16 20 /dev/ram2 32 30");
    auto read = submit("d", BioOp::read, 0, 8);
    auto write = submit("d", BioOp::write, 0, 8, 5);
    auto flush = submit("d", BioOp::flush, 0, 0);
    clock_.advance(Duration::zero());
    EXPECT_EQ(status_line("d"), "0 65536 delay 1 1 1");
    clock_.run_until_idle();
    EXPECT_EQ(read->buf, pattern(8, 1));
    EXPECT_EQ(read_ram(1, 16, 8), pattern(8, 5));
    EXPECT_EQ(read_ram(0, 8, 8), pattern(8, 1));  // the write did not go to the read device
    EXPECT_EQ(read->at.time_since_epoch(), milliseconds(12));  // ceil(10 / 4) jiffies
    EXPECT_EQ(write->at.time_since_epoch(), milliseconds(20));
    EXPECT_EQ(flush->at.time_since_epoch(), milliseconds(32));
}

TEST_F(Delay, SixArgumentsShareTheWriteClassWithFlushes) {
    activate("d", "0 65536 delay /dev/ram0 0 10 /dev/ram1 0 40");
    auto flush = submit("d", BioOp::flush, 0, 0);
    clock_.advance(Duration::zero());
    EXPECT_EQ(status_line("d"), "0 65536 delay 0 0 1");
    clock_.run_until_idle();
    EXPECT_EQ(flush->at.time_since_epoch(), milliseconds(40));
}

TEST_F(Delay, SuspendReleasesEverythingHeldAtOnceAndResumeDelaysAgain) {
    activate("d", "0 65536 delay /dev/ram0 0 10000");
    auto write = submit("d", BioOp::write, 0, 8, 7);
    clock_.advance(Duration::zero());
    DmRequest req;
    req.cmd = DmCommand::dev_suspend;
    req.name = "d";
    req.suspend = true;
    ASSERT_EQ(ioctl_now(req).error, 0);
    ASSERT_EQ(write->err, 0);
    EXPECT_EQ(write->at.time_since_epoch(), Duration::zero());
    EXPECT_EQ(read_ram(0, 0, 8), pattern(8, 7));
    EXPECT_EQ(status_line("d"), "0 65536 delay 0 0 0");
    req.suspend = false;
    ASSERT_EQ(ioctl_now(req).error, 0);
    auto again = submit("d", BioOp::write, 0, 8, 8);
    clock_.advance(milliseconds(9996));
    EXPECT_FALSE(again->err.has_value());
    clock_.advance(milliseconds(4));
    EXPECT_EQ(again->err, 0);
}

TEST_F(Delay, TableLineRebuildsTheSameTable) {
    for (const std::string args : {"/dev/ram0 16 100", "1:0 0 100 1:1 32 200",
                                   "1:0 0 1 1:1 2 3 1:2 4 5", "1:0 0 4294967296"}) {
        SCOPED_TRACE(args);
        activate("d", "0 65536 delay " + args);
        const std::string table = table_line("d");
        ASSERT_EQ(remove("d").error, 0);
        activate("d", table);
        EXPECT_EQ(table_line("d"), table);
        ASSERT_EQ(remove("d").error, 0);
    }
}

TEST_F(Delay, RejectsSignedDelays) {
    ASSERT_EQ(create("d").error, 0);
    int err = 0;
    const auto lines = load_lines("d", "0 65536 delay /dev/ram0 0 +5", &err);
    EXPECT_EQ(err, -EINVAL);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], "device-mapper: table: 254:0: delay: Invalid delay (-EINVAL)");
}

TEST_F(Delay, RemovingADeviceWithHeldBiosCompletesThem) {
    activate("d", "0 65536 delay /dev/ram0 0 60000");
    auto write = submit("d", BioOp::write, 0, 8, 7);
    clock_.advance(Duration::zero());
    ASSERT_EQ(ioctl_now([] {
                  DmRequest r;
                  r.cmd = DmCommand::dev_remove;
                  r.name = "d";
                  return r;
              }())
                  .error,
              0);
    EXPECT_EQ(write->err, 0);
    EXPECT_EQ(clock_.now().time_since_epoch(), Duration::zero());
}

TEST_F(Delay, AMirrorLegBehindADelayResyncsAtTheDelaysPace) {
    // The oracle's mirror-resync-and-failures setup: 64 regions of 512 KiB copied to a leg
    // whose every write waits 100 ms.
    fill_ram(0, 0, 65536, 5);
    activate("slow", "0 131072 delay /dev/ram1 0 100");
    activate("mres", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/mapper/slow 0");
    clock_.run_until_idle();
    EXPECT_EQ(status_line("mres"), "0 65536 mirror 2 1:0 254:0 64/64 1 AA 1 core");
    EXPECT_GE(clock_.now().time_since_epoch(), 64 * milliseconds(100));
    EXPECT_EQ(read_ram(1, 0, 65536), read_ram(0, 0, 65536));
    ASSERT_EQ(remove("mres").error, 0);
    ASSERT_EQ(remove("slow").error, 0);
}

}  // namespace
}  // namespace dmemu::emu::testing
