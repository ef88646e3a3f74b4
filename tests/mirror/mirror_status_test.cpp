// SPDX-License-Identifier: GPL-2.0-only
// Table and status lines of the oracle's mirror-core and mirror-disk cases, byte for byte.
#include "tests/mirror/mirror_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using MirrorStatusTest = MirrorFixture;

TEST_F(MirrorStatusTest, CoreLogLinesMatchOracle) {
    activate("mc", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(table_line("mc"), "0 65536 mirror core 1 1024 2 1:0 0 1:1 0");
    EXPECT_EQ(status_line("mc"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(event_nr("mc"), 1u);
}

TEST_F(MirrorStatusTest, InactiveNosyncTableIsInSyncWithoutAnEvent) {
    activate("mc", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    ASSERT_EQ(load("mc", "0 65536 mirror core 2 1024 nosync 2 /dev/ram0 0 /dev/ram1 0").error, 0);
    EXPECT_EQ(status(("mc"), true, true).targets.at(0).params, "core 2 1024 nosync 2 1:0 0 1:1 0");
    EXPECT_EQ(status(("mc"), false, true).targets.at(0).params, "2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(table_line("mc"), "0 65536 mirror core 1 1024 2 1:0 0 1:1 0");
    EXPECT_EQ(event_nr("mc"), 1u);
}

TEST_F(MirrorStatusTest, DiskLogLinesMatchOracle) {
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(table_line("md"), "0 65536 mirror disk 2 1:2 1024 2 1:0 0 1:1 0");
    EXPECT_EQ(status_line("md"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 3 disk 1:2 A");
    EXPECT_EQ(event_nr("md"), 1u);
}

TEST_F(MirrorStatusTest, InactiveDiskSyncTableShowsNothingInSync) {
    activate("md", "0 65536 mirror disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0");
    ASSERT_EQ(
        load("md", "0 65536 mirror disk 3 /dev/ram2 1024 sync 2 /dev/ram0 0 /dev/ram1 0").error, 0);
    EXPECT_EQ(status("md", true, true).targets.at(0).params, "disk 3 1:2 1024 sync 2 1:0 0 1:1 0");
    EXPECT_EQ(status("md", false, true).targets.at(0).params, "2 1:0 1:1 0/64 1 AA 3 disk 1:2 A");
}

TEST_F(MirrorStatusTest, ThreeLegStatus) {
    activate("mcore3", "0 65536 mirror core 1 1024 3 /dev/ram0 0 /dev/ram1 0 /dev/ram3 0");
    EXPECT_EQ(status_line("mcore3"), "0 65536 mirror 3 1:0 1:1 1:3 64/64 1 AAA 1 core");
}

TEST_F(MirrorStatusTest, NosyncIsInSyncAtOnce) {
    ASSERT_EQ(create("m").error, 0);
    ASSERT_EQ(load("m", "0 65536 mirror core 2 1024 nosync 2 /dev/ram0 0 /dev/ram1 0").error, 0);
    EXPECT_EQ(status("m", false, true).targets.at(0).params, "2 1:0 1:1 64/64 1 AA 1 core");
    ASSERT_EQ(resume("m").error, 0);
    EXPECT_EQ(table_line("m"), "0 65536 mirror core 2 1024 nosync 2 1:0 0 1:1 0");
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
}

TEST_F(MirrorStatusTest, TableRoundTrips) {
    for (const char* t : {"core 1 1024 2 1:0 0 1:1 0", "core 2 1024 nosync 2 1:0 0 1:1 0",
                          "core 2 8 sync 3 1:0 8 1:1 0 1:3 16 1 handle_errors",
                          "disk 2 1:2 1024 2 1:0 0 1:1 0 2 handle_errors keep_log",
                          "disk 3 1:2 512 nosync 2 1:0 0 1:1 0"}) {
        activate("a", std::string("0 65536 mirror ") + t);
        const std::string first = table_line("a");
        EXPECT_EQ(first, std::string("0 65536 mirror ") + t);
        ASSERT_EQ(remove("a").error, 0);
        activate("b", first);
        EXPECT_EQ(table_line("b"), first);
        ASSERT_EQ(remove("b").error, 0);
    }
}

}  // namespace
}  // namespace dmemu::emu::testing
