// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's output formats beyond the golden files: column widths, report switches, empty
// cases, name resolution, client-side errors, and dmemu's disk/dmesg commands.
#include <gtest/gtest.h>

#include "tests/cli/emulator.hpp"

namespace dmemu::dmsetup {
namespace {

using Args = std::vector<std::string>;

class DmsetupOutput : public ::testing::Test {
protected:
    DmsetupOutput() { emu_.add_ram_disks(2, 131072); }
    DmsetupResult run(const Args& argv, std::string in = {}) {
        return emu_.dmsetup(argv, std::move(in));
    }
    void ok(const Args& argv) {
        auto r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    cli_test::Emulator emu_{253};
};

TEST_F(DmsetupOutput, LsWithNoDevices) {
    EXPECT_EQ(run({"ls"}).out, "No devices found\n");
    auto info = run({"info", "-c"});
    EXPECT_EQ(info.out, "No devices found\n");  // no headings for an empty report
    EXPECT_EQ(run({"table"}).out, "No devices found\n");
}

TEST_F(DmsetupOutput, DeviceWithoutTablePrintsBlankTableLine) {
    ok({"create", "nt", "--notable"});
    EXPECT_EQ(run({"table", "nt"}).out, "\n");
    EXPECT_EQ(run({"status", "nt"}).out, "\n");
    ok({"create", "z", "--table", "0 8 zero"});
    EXPECT_EQ(run({"table"}).out, "nt: \nz: 0 8 zero \n");
    EXPECT_EQ(run({"table", "z", "nt"}).out, "z: 0 8 zero \nnt: \n");
}

TEST_F(DmsetupOutput, InfoColumnsWidenForLongNamesAndUuids) {
    const std::string name(20, 'n');
    const std::string uuid = "LONG-UUID-" + std::string(30, 'u');
    ok({"create", name, "-u", uuid, "--table", "0 8 zero"});
    ok({"create", "short", "--table", "0 8 zero"});
    auto r = run({"info", "-c"});
    EXPECT_EQ(r.out, "Name                 Maj Min Stat Open Targ Event  UUID" +
                         std::string(36, ' ') + "\n" + name + " 253   0 L--w    0    1      0 " +
                         uuid + "\n" + "short                253   1 L--w    0    1      0 " +
                         std::string(40, ' ') + "\n");
}

TEST_F(DmsetupOutput, ReportSwitches) {
    ok({"create", "lin", "--table", "0 8 linear /dev/ram0 0"});
    EXPECT_EQ(run({"info", "-c", "--noheadings", "lin"}).out, "lin:253:0:L--w:0:1:0:\n");
    EXPECT_EQ(run({"info", "-c", "-o", "name,uuid", "--separator", "|", "lin"}).out,
              "Name|UUID\nlin|\n");
    EXPECT_EQ(run({"info", "-c", "--noheadings", "--nameprefixes", "-o", "name", "lin"}).out,
              "DM_NAME='lin'\n");
    EXPECT_EQ(run({"info", "-c", "--rows", "-o", "name,major", "lin"}).out, "Name lin\nMaj 253\n");
    EXPECT_EQ(run({"info", "-c", "-o", "+devno", "--noheadings", "lin"}).out,
              "lin:253:0:L--w:0:1:0::253:0\n");
    EXPECT_EQ(run({"info", "-c", "--headings", "full", "-o", "name,blk_dev_name", "lin"}).out,
              "name             blkdevname      \nlin              dm-0            \n");
    EXPECT_EQ(run({"info", "-c", "--noheadings", "-o", "devnos_used,blkdevs_used", "lin"}).out,
              "1:0:ram0\n");
}

TEST_F(DmsetupOutput, UnknownFieldFails) {
    auto r = run({"info", "-c", "-o", "bogus"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("Unrecognised field: bogus\n"), std::string::npos);
}

TEST_F(DmsetupOutput, InfoOfMissingDevice) {
    auto r = run({"info", "nosuch"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Device does not exist.\nCommand failed.\n");
    auto t = run({"table", "nosuch"});
    EXPECT_EQ(t.err,
              "device-mapper: table ioctl on nosuch  failed: No such device or address\n"
              "Command failed.\n");
    EXPECT_EQ(run({"deps", "nosuch"}).err,
              "device-mapper: deps ioctl on nosuch  failed: No such device or address\nCommand "
              "failed.\n");
}

TEST_F(DmsetupOutput, DevMapperPathsNameExistingNodes) {
    ok({"create", "z", "--table", "0 8 zero"});
    EXPECT_EQ(run({"info", "-c", "--noheadings", "-o", "name", "/dev/mapper/z"}).out, "z\n");
    EXPECT_EQ(run({"table", "/dev/dm-0"}).out, "0 8 zero \n");
    auto missing = run({"info", "/dev/mapper/nope"});
    EXPECT_EQ(missing.err, "Device /dev/mapper/nope not found\nCommand failed.\n");
    auto create = run({"create", "a/b", "--table", "0 8 zero"});
    EXPECT_EQ(create.err, "Name \"a/b\" invalid. It contains \"/\".\nCommand failed.\n");
}

TEST_F(DmsetupOutput, ClientSideNameChecks) {
    const std::string long_name(128, 'x');
    auto r = run({"create", long_name, "--table", "0 8 zero"});
    EXPECT_EQ(r.err, "Name \"" + long_name + "\" too long.\nCommand failed.\n");
    ok({"create", "z", "--table", "0 8 zero"});
    EXPECT_EQ(run({"rename", "z", "a/b"}).err,
              "Name \"a/b\" invalid. It contains \"/\".\nCommand failed.\n");
    EXPECT_EQ(run({"rename", "z"}).err, "No device specified.\nCommand failed.\n");
    // In auto mode (the default) a uuid over 128 bytes does not fit its mangled form
    // (t30); with mangling off libdm copies at most the uuid field's size and the kernel keeps
    // the first 128 bytes.
    EXPECT_EQ(run({"create", "u", "-u", std::string(140, 'U'), "--table", "0 8 zero"}).exit_code,
              1);
    ok({"--manglename", "none", "create", "u", "-u", std::string(140, 'U'), "--table", "0 8 zero"});
    EXPECT_EQ(run({"info", "-c", "--noheadings", "-o", "uuid", "u"}).out,
              std::string(128, 'U') + "\n");
}

TEST_F(DmsetupOutput, TableInputErrorsAndComments) {
    auto bad = run({"create", "x", "--table", "zero"});
    EXPECT_EQ(bad.err, "Invalid format on line 1 of table .\nCommand failed.\n");
    auto in = run({"create", "x"}, "# comment\n\n0 8 zero\nnonsense\n");
    EXPECT_EQ(in.err, "Invalid format on line 4 of table on stdin.\nCommand failed.\n");
    ok({"create", "c", "--table", "0 8 linear /dev/ram0 0 # trailing comment"});
    EXPECT_EQ(run({"table", "c"}).out, "0 8 linear 1:0 0\n");
    auto empty = run({"create", "e"}, "");  // no targets: a device without a table
    EXPECT_EQ(empty.exit_code, 0) << empty.err;
    EXPECT_EQ(run({"info", "-c", "--noheadings", "-o", "attr", "e"}).out, "---w\n");
}

TEST_F(DmsetupOutput, FailedLoadDuringCreateRemovesTheDevice) {
    auto r = run({"create", "bad", "--table", "0 8 linear /dev/nosuchdisk 0"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("device-mapper: reload ioctl on bad (253:0) failed: ", 0), 0u) << r.err;
    EXPECT_EQ(r.err.substr(r.err.size() - 16), "Command failed.\n");
    EXPECT_EQ(run({"ls"}).out, "No devices found\n");
}

TEST_F(DmsetupOutput, RemoveForceReplacesTableWithError) {
    ok({"create", "z", "--table", "0 100 zero"});
    emu_.dm().find_mapped("z")->open();
    auto r = run({"remove", "--force", "z"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(
        r.err,
        "device-mapper: remove ioctl on z  failed: Device or resource busy\nCommand failed.\n");
    EXPECT_EQ(run({"table", "z"}).out, "0 100 error \n");
    emu_.dm().find_mapped("z")->close();
    ok({"remove", "z"});
}

TEST_F(DmsetupOutput, VerboseCreateShowsInfo) {
    auto r = run({"-v", "create", "z", "--table", "0 8 zero"});
    EXPECT_EQ(r.out.rfind("Name:              z\nState:             ACTIVE\n", 0), 0u) << r.out;
}

TEST_F(DmsetupOutput, LsAndDepsNameOptions) {
    ok({"create", "lin", "--table", "0 8 linear /dev/ram1 0"});
    EXPECT_EQ(run({"ls", "-o", "blkdevname"}).out, "lin\t(dm-0)\n");
    EXPECT_EQ(run({"deps", "-o", "devname", "lin"}).out, "1 dependencies\t: (ram1)\n");
    EXPECT_EQ(run({"ls", "--target", "linear"}).out, "lin\t(253, 0)\n");
    EXPECT_EQ(run({"ls", "--target", "zero"}).out, "");
    EXPECT_EQ(run({"deps"}).out, "lin: 1 dependencies\t: (1, 1)\n");
}

TEST_F(DmsetupOutput, DiskCommands) {
    EXPECT_EQ(run({"disk", "ls"}).out,
              "Name             DevNo          Sectors Open File\n"
              "ram0             1:0             131072    0 -\n"
              "ram1             1:1             131072    0 -\n");
    ok({"disk", "add", "big", "--size", "1G"});
    EXPECT_NE(run({"disk", "ls"}).out.find("\nbig              7:0            2097152    0 -\n"),
              std::string::npos);
    auto bad = run({"disk", "add", "odd", "--size", "1000"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_EQ(bad.err, "disk add: invalid size '1000' (a whole number of 512-byte sectors)\n");
    auto dup = run({"disk", "add", "big", "--size", "1M"});
    EXPECT_EQ(dup.exit_code, 1);
    EXPECT_EQ(dup.err, "disk: 'big' already exists\n");
    ok({"disk", "rm", "big"});
    EXPECT_EQ(run({"disk", "rm", "big"}).err, "disk: no disk named 'big'\n");
    // A dmsetup flag is named, not read as the command word.
    auto flag = run({"-v", "disk", "add", "v", "--size", "1M"});
    EXPECT_EQ(flag.exit_code, 1);
    EXPECT_EQ(flag.err, "dmemu: unknown option '-v'\n");
    EXPECT_EQ(run({"disk", "ls", "-x"}).err, "disk: unknown option '-x'\n");
}

TEST_F(DmsetupOutput, DmesgShowsKernelLines) {
    ok({"create", "z", "--table", "0 8 zero"});
    run({"rename", "z", "--setuuid", "A"});
    run({"rename", "z", "--setuuid", "B"});
    EXPECT_EQ(run({"dmesg"}).out,
              "device-mapper: ioctl: Unable to change uuid of mapped device z to B because uuid is "
              "already set to A\n");
}

}  // namespace
}  // namespace dmemu::dmsetup
