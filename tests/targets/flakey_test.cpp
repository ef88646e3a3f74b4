// SPDX-License-Identifier: GPL-2.0-only
// dm-flakey: constructor errors the t32 capture does not show (from dm-flakey.c 6.1), table
// lines round-tripping, and what happens to I/O while up and down on the virtual clock. The
// capture itself (every table, status and error line of t32) is replayed byte for byte by the
// cli suite's golden replay.
#include <cerrno>

#include "tests/targets/target_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class Flakey : public TargetFixture {
protected:
    // Creates "f" over ram0 with the given flakey arguments, at virtual time 0.
    void make(const std::string& args) { activate("f", "0 131072 flakey " + args); }
};

std::string ctr_error(const std::string& text, const char* errno_name = "-EINVAL") {
    return "device-mapper: table: 254:0: flakey: " + text + " (" + errno_name + ")";
}

TEST_F(Flakey, RejectsIntervalsWhoseSumOverflows) {
    ASSERT_EQ(create("f").error, 0);
    int err = 0;
    const auto lines = load_lines("f", "0 131072 flakey /dev/ram0 0 4294967295 2", &err);
    EXPECT_EQ(err, -EINVAL);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], ctr_error("Interval overflow"));
}

TEST_F(Flakey, AcceptsAtMostSixFeatureWords) {
    ASSERT_EQ(create("f").error, 0);
    int err = 0;
    // Seven words are one too many even though they would parse (6.1's dm_arg is {0, 6}).
    auto lines = load_lines(
        "f", "0 131072 flakey /dev/ram0 0 5 5 7 drop_writes corrupt_bio_byte 1 r 0 0 x", &err);
    EXPECT_EQ(err, -EINVAL);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], ctr_error("Invalid number of feature args"));
    lines = load_lines(
        "f", "0 131072 flakey /dev/ram0 0 5 5 6 drop_writes corrupt_bio_byte 1 r 0 0", &err);
    EXPECT_EQ(err, 0);
    EXPECT_TRUE(lines.empty());
}

TEST_F(Flakey, RejectsSignedNumbersAsTheKernelsScanfDoes) {
    ASSERT_EQ(create("f").error, 0);
    int err = 0;
    auto lines = load_lines("f", "0 131072 flakey /dev/ram0 -0 5 5", &err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], ctr_error("Invalid device sector"));
    lines = load_lines("f", "0 131072 flakey /dev/ram0 0 +5 5", &err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], ctr_error("Invalid up interval"));
}

TEST_F(Flakey, DeviceLookupIsCheckedAfterTheFeatures) {
    ASSERT_EQ(create("f").error, 0);
    int err = 0;
    const auto lines = load_lines("f", "0 131072 flakey /dev/nosuch 0 5 5 1 bogus", &err);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0], ctr_error("Unrecognised flakey feature requested"));
}

TEST_F(Flakey, TableLineRebuildsTheSameTable) {
    for (const std::string args :
         {"/dev/ram0 0 5 5", "1:0 8 0 7 1 drop_writes", "1:0 0 3 1 1 ERROR_WRITES",
          "1:0 0 5 5 6 error_writes corrupt_bio_byte 1 R 0 0",
          "1:0 0 5 5 5 corrupt_bio_byte 32 w 255 4096"}) {
        SCOPED_TRACE(args);
        activate("f", "0 1000 flakey " + args);
        const std::string table = table_line("f");
        ASSERT_EQ(remove("f").error, 0);
        activate("f", table);
        EXPECT_EQ(table_line("f"), table);
        EXPECT_EQ(status_line("f"), "0 1000 flakey ");
        ASSERT_EQ(remove("f").error, 0);
    }
}

TEST_F(Flakey, UpForUpIntervalThenDownForDownIntervalFromTheLoad) {
    fill_ram(0, 0, 8, 1);
    make("/dev/ram0 0 2 1");
    std::vector<std::byte> buf;
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8, &buf), 0);
    EXPECT_EQ(buf, read_ram(0, 0, 8));
    advance_to(milliseconds(1996));  // the last tick of the up interval (HZ 250)
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), 0);
    advance_to(seconds(2));
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), -EIO);
    EXPECT_EQ(io_now("f", BioOp::write, 0, 8, nullptr, 9), -EIO);
    EXPECT_EQ(io_now("f", BioOp::flush, 0, 0), -EIO);
    EXPECT_EQ(read_ram(0, 0, 8), pattern(8, 1));  // the failed write did not land
    advance_to(seconds(3));                       // the next period starts up
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), 0);
    advance_to(seconds(3 + 2));
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), -EIO);
}

TEST_F(Flakey, PeriodCountsFromTheTableLoadNotFromTimeZero) {
    advance_to(milliseconds(1500));
    make("/dev/ram0 0 1 1");
    advance_to(milliseconds(2400));  // 0.9 s after the load: still up
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), 0);
    advance_to(milliseconds(2500));
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), -EIO);
}

TEST_F(Flakey, ZeroUpIntervalIsAlwaysDown) {
    make("/dev/ram0 0 0 5");
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), -EIO);
    advance_to(seconds(17));
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8), -EIO);
}

TEST_F(Flakey, DropWritesAcknowledgesWritesThatNeverLandWhileReadsPass) {
    fill_ram(0, 100, 8, 1);
    make("/dev/ram0 0 0 5 1 drop_writes");
    EXPECT_EQ(io_now("f", BioOp::write, 100, 8, nullptr, 42), 0);
    EXPECT_EQ(read_ram(0, 100, 8), pattern(8, 1));
    std::vector<std::byte> buf;
    EXPECT_EQ(io_now("f", BioOp::read, 100, 8, &buf), 0);
    EXPECT_EQ(buf, pattern(8, 1));
    EXPECT_EQ(io_now("f", BioOp::flush, 0, 0), 0);
}

TEST_F(Flakey, ErrorWritesFailsWritesWhileReadsPass) {
    fill_ram(0, 100, 8, 1);
    make("/dev/ram0 0 0 5 1 error_writes");
    EXPECT_EQ(io_now("f", BioOp::write, 100, 8, nullptr, 42), -EIO);
    EXPECT_EQ(read_ram(0, 100, 8), pattern(8, 1));
    EXPECT_EQ(io_now("f", BioOp::read, 100, 8), 0);
}

TEST_F(Flakey, WritesLandWhileUpEvenWithDropWrites) {
    make("/dev/ram0 0 5 5 1 drop_writes");
    EXPECT_EQ(io_now("f", BioOp::write, 100, 8, nullptr, 42), 0);
    EXPECT_EQ(read_ram(0, 100, 8), pattern(8, 42));
}

TEST_F(Flakey, OffsetShiftsEveryBio) {
    activate("f", "0 1000 flakey /dev/ram0 1024 5 5");
    EXPECT_EQ(io_now("f", BioOp::write, 0, 1, nullptr, 3), 0);
    EXPECT_EQ(read_ram(0, 1024, 1), pattern(1, 3));
}

TEST_F(Flakey, CorruptsTheNthByteOfReadsWhileDownOnly) {
    fill_ram(0, 0, 8, 1);
    make("/dev/ram0 0 1 1 5 corrupt_bio_byte 32 r 255 0");
    std::vector<std::byte> buf;
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8, &buf), 0);
    EXPECT_EQ(buf, pattern(8, 1));  // up: untouched
    advance_to(seconds(1));
    EXPECT_EQ(io_now("f", BioOp::read, 0, 8, &buf), 0);
    auto expected = pattern(8, 1);
    expected[31] = std::byte{255};
    EXPECT_EQ(buf, expected);
    EXPECT_EQ(read_ram(0, 0, 8), pattern(8, 1));  // only the data returned is corrupt
    // Writes pass untouched with a read corruption.
    EXPECT_EQ(io_now("f", BioOp::write, 16, 8, nullptr, 5), 0);
    EXPECT_EQ(read_ram(0, 16, 8), pattern(8, 5));
}

TEST_F(Flakey, CorruptsTheNthByteOfWritesOnTheDeviceNotInTheCallersBuffer) {
    make("/dev/ram0 0 0 1 5 corrupt_bio_byte 1 w 7 0");
    auto p = submit("f", BioOp::write, 0, 8, 9);
    clock_.advance(Duration::zero());
    ASSERT_EQ(p->err, 0);
    EXPECT_EQ(p->buf, pattern(8, 9));
    auto expected = pattern(8, 9);
    expected[0] = std::byte{7};
    EXPECT_EQ(read_ram(0, 0, 8), expected);
}

TEST_F(Flakey, CorruptBioByteBeyondTheBioLeavesItAlone) {
    fill_ram(0, 0, 1, 1);
    make("/dev/ram0 0 0 1 5 corrupt_bio_byte 513 r 0 0");
    std::vector<std::byte> buf;
    EXPECT_EQ(io_now("f", BioOp::read, 0, 1, &buf), 0);
    EXPECT_EQ(buf, pattern(1, 1));
}

TEST_F(Flakey, CorruptsOnlyBiosWithEveryFlagOfTheMask) {
    // 131072 is REQ_FUA: only FUA writes match.
    make("/dev/ram0 0 0 1 5 corrupt_bio_byte 1 w 7 131072");
    EXPECT_EQ(io_now("f", BioOp::write, 0, 1, nullptr, 9), 0);
    EXPECT_EQ(read_ram(0, 0, 1), pattern(1, 9));
    EXPECT_EQ(io_now("f", BioOp::write, 8, 1, nullptr, 9, /*fua=*/true), 0);
    auto expected = pattern(1, 9);
    expected[0] = std::byte{7};
    EXPECT_EQ(read_ram(0, 8, 1), expected);
}

TEST_F(Flakey, RefusesMessages) {
    make("/dev/ram0 0 5 5");
    const auto before = klog_.last_seq();
    EXPECT_EQ(message("f", "drop_writes").error, -EINVAL);
    EXPECT_EQ(
        kernel_lines_since(before),
        std::vector<std::string>{"device-mapper: ioctl: Target type does not support messages"});
}

TEST_F(Flakey, ListedWithTheKernelsVersion) {
    const auto r = simple(DmCommand::list_versions, "");
    bool found = false;
    for (const auto& v : r.versions) {
        if (v.name != "flakey") continue;
        found = true;
        EXPECT_EQ(v.version.major, 1u);
        EXPECT_EQ(v.version.minor, 5u);
        EXPECT_EQ(v.version.patch, 0u);
    }
    EXPECT_TRUE(found);
}

}  // namespace
}  // namespace dmemu::emu::testing
