// SPDX-License-Identifier: GPL-2.0-only
// The disk log's on-disk state: the kernel's header and bitmap, read back after a reload, and
// its failure messages (mirror-resync-and-failures [31]-[34]).
#include "tests/mirror/mirror_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using DiskLogTest = MirrorFixture;

std::uint64_t le(const std::vector<std::byte>& b, std::size_t off, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i)
        v |= std::uint64_t(std::to_integer<unsigned>(b[off + i])) << (8 * i);
    return v;
}

TEST_F(DiskLogTest, WritesTheKernelHeaderAndBitmap) {
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    const auto disk = read_ram(2, 0, 3);
    EXPECT_EQ(le(disk, 0, 4), 0x4D695272u);  // "MiRr"
    EXPECT_EQ(le(disk, 4, 4), 2u);
    EXPECT_EQ(le(disk, 8, 8), 64u);
    // All 64 regions recovered: clean bits set, two little-endian words at byte 1024.
    EXPECT_EQ(le(disk, 1024, 8), ~0ull);
    EXPECT_EQ(le(disk, 1032, 8), 0u);
}

TEST_F(DiskLogTest, BitmapSurvivesRemoveAndRecreate) {
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    ASSERT_EQ(suspend("md").error, 0);
    ASSERT_EQ(remove("md").error, 0);
    fill_ram(0, 0, 1024, 42);  // would be copied if the log asked for a resync
    ASSERT_EQ(create("md").error, 0);
    ASSERT_EQ(load("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0").error,
              0);
    EXPECT_EQ(status("md", false, true).targets.at(0).params, "2 1:0 1:1 0/64 1 AA 3 disk 1:2 A");
    ASSERT_EQ(resume("md").error, 0);
    EXPECT_EQ(status_line("md"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 3 disk 1:2 A");
    EXPECT_NE(read_ram(0, 0, 1024), read_ram(1, 0, 1024));
}

TEST_F(DiskLogTest, SyncArgumentForcesAFullResync) {
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    ASSERT_EQ(remove("md").error, 0);
    fill_ram(0, 0, 1024, 42);
    activate("md", "0 65536 mirror disk 3 /dev/ram2 1024 sync 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("md"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 3 disk 1:2 A");
    EXPECT_EQ(read_ram(0, 0, 1024), read_ram(1, 0, 1024));
}

TEST_F(DiskLogTest, GrowthLeavesNewRegionsOutOfSync) {
    activate("md", "0 32768 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("md"), "0 32768 mirror 2 1:0 1:1 32/32 1 AA 3 disk 1:2 A");
    ASSERT_EQ(remove("md").error, 0);
    fill_ram(0, 0, 65536, 77);
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("md"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 3 disk 1:2 A");
    // Old regions were trusted, new ones copied.
    EXPECT_NE(read_ram(0, 0, 32768), read_ram(1, 0, 32768));
    EXPECT_EQ(read_ram(0, 32768, 32768), read_ram(1, 32768, 32768));
}

TEST_F(DiskLogTest, LogDeviceFailure) {
    activate("errdev", "0 131072 error");
    const auto created = lines_of([&] {
        activate("mdfail",
                 "0 65536 mirror disk 2 /dev/mapper/errdev 1024 2 /dev/ram0 0 /dev/ram1 0 1 "
                 "handle_errors");
    });
    EXPECT_EQ(created, (std::vector<std::string>{"device-mapper: dirty region log: 254:0: Failed "
                                                 "to read header on dirty region log device",
                                                 "device-mapper: dirty region log: 254:0: Failed "
                                                 "to write header on dirty region log device",
                                                 "device-mapper: raid1: log resume failed"}));
    EXPECT_EQ(status_line("mdfail"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 3 disk 254:0 D");
    const auto removed = lines_of([&] { ASSERT_EQ(remove("mdfail").error, 0); });
    EXPECT_EQ(removed, std::vector<std::string>{"device-mapper: raid1: log postsuspend failed"});
}

TEST_F(DiskLogTest, LogDeviceTooSmall) {
    add_ram("tiny", 2, DevT{1, 9});
    const auto seq = klog_.last_seq();
    ASSERT_EQ(create("m").error, 0);
    EXPECT_EQ(load("m", "0 65536 mirror disk 2 1:9 1024 2 /dev/ram0 0 /dev/ram1 0").error, -EINVAL);
    EXPECT_EQ(kernel_lines_since(seq),
              (std::vector<std::string>{
                  "device-mapper: dirty region log: log device 1:9 too small: need 1536 bytes",
                  "device-mapper: table: 254:0: mirror: Error creating mirror dirty log (-EINVAL)",
                  "device-mapper: ioctl: error adding target to table"}));
}

}  // namespace
}  // namespace dmemu::emu::testing
