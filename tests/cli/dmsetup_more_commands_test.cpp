// SPDX-License-Identifier: GPL-2.0-only
// dmsetup commands the oracle's t37 runs beyond reports: `wait`, `udevcomplete_all` and
// `--exec`, each as dmsetup 1.02.185's source (tools/dmsetup.c _wait, _udevcomplete_all,
// _yes_no_prompt, _exec_command) has them; the golden replay checks t37's own lines.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/cli/emulator.hpp"

namespace dmemu::dmsetup {
namespace {

using Args = std::vector<std::string>;

class DmsetupMoreCommands : public ::testing::Test {
protected:
    DmsetupMoreCommands() {
        emu_.add_ram_disks(2, 131072);
        for (const char* name : {"a", "b"}) {
            auto r = emu_.dmsetup({"create", name, "--table", "0 8 linear /dev/ram0 0"}, {});
            EXPECT_EQ(r.exit_code, 0) << r.err;
        }
    }
    DmsetupResult run(const Args& argv, std::string in = {}) {
        return emu_.dmsetup(argv, std::move(in));
    }
    cli_test::Emulator emu_{254};
};

TEST_F(DmsetupMoreCommands, WaitReturnsOnceTheEventNumberDiffers) {
    // A fresh device's event number is 0: any other number returns at once.
    auto r = run({"wait", "a", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    r = run({"wait", "--noflush", "a", "7"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // -v shows the device's info after the wait, as _simple does.
    r = run({"-v", "wait", "a", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("Name:              a\n"), std::string::npos) << r.out;
}

TEST_F(DmsetupMoreCommands, WaitNeedsADevice) {
    auto r = run({"wait"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "No device specified.\nCommand failed.\n");
    r = run({"wait", "nosuch", "1"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err,
              "device-mapper: waitevent ioctl on nosuch  failed: No such device or address\n"
              "Command failed.\n");
}

TEST_F(DmsetupMoreCommands, UdevcompleteAllAsksAndEndOfInputIsNo) {
    auto r = run({"udevcomplete_all"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err,
              "WARNING: This operation will destroy all semaphores with keys that have a prefix "
              "3405 (0xd4d).\n");
    EXPECT_EQ(r.out,
              "Do you really want to continue? [y/n]: \n"
              "Semaphores with keys prefixed by 3405 (0xd4d) NOT destroyed.\n");
}

TEST_F(DmsetupMoreCommands, UdevcompleteAllTakesTheLastYOrNOfALine) {
    // A line without y or n asks again; "yes" counts as y, "maybe" too (the last y or n of a
    // line is the answer).
    auto r = run({"udevcomplete_all"}, "what\nyes\n");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out,
              "Do you really want to continue? [y/n]: Do you really want to continue? [y/n]: "
              "0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n");
    r = run({"udevcomplete_all"}, "maybe\n");
    EXPECT_EQ(r.out,
              "Do you really want to continue? [y/n]: "
              "0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n");
    r = run({"udevcomplete_all"}, "n\n");
    EXPECT_EQ(r.out,
              "Do you really want to continue? [y/n]: "
              "Semaphores with keys prefixed by 3405 (0xd4d) NOT destroyed.\n");
}

TEST_F(DmsetupMoreCommands, UdevcompleteAllWithYesOrAnAge) {
    auto r = run({"udevcomplete_all", "--yes"});
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.out, "0 semaphores with keys prefixed by 3405 (0xd4d) destroyed. 0 skipped.\n");
    r = run({"udevcomplete_all", "5"});
    EXPECT_EQ(r.err,
              "WARNING: This operation will destroy all semaphores older than 5 minutes with keys "
              "that have a prefix 3405 (0xd4d).\n");
    r = run({"udevcomplete_all", "soon"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Failed to read age_in_minutes parameter.\nCommand failed.\n");
}

TEST_F(DmsetupMoreCommands, LsExecRunsTheCommandWithEachDevicesNode) {
    ::unsetenv("DM_DEV_DIR");
    auto r = run({"ls", "--exec", "echo node"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "node /dev/mapper/a\nnode /dev/mapper/b\n");
    // -v lists the devices too; --target narrows them; DM_DEV_DIR moves the nodes.
    r = run({"-v", "ls", "--exec", "echo"});
    EXPECT_EQ(r.out, "a\t(254, 0)\n/dev/mapper/a\nb\t(254, 1)\n/dev/mapper/b\n");
    r = run({"ls", "--target", "zero", "--exec", "echo"});
    EXPECT_EQ(r.out, "");
    ::setenv("DM_DEV_DIR", "/tmp/d", 1);
    r = run({"table", "a", "--exec", "echo"});
    ::unsetenv("DM_DEV_DIR");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "/tmp/d/mapper/a\n");
}

TEST_F(DmsetupMoreCommands, AnExecThatCannotRunPrintsNothing) {
    // dmsetup's child exits 127 unseen.
    auto r = run({"ls", "--exec", "/nonexistent/program"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace dmemu::dmsetup
