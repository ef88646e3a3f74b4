// SPDX-License-Identifier: GPL-2.0-only
// `dmemu-setup fault add|ls|rm|clear` (tools/dmsetup/cmd_fault.cpp) on the in-process emulator:
// output, every error with its words and exit code, the usage, and a fault acting on reads
// through a mapped device until it is cleared.
#include <gtest/gtest.h>

#include <cerrno>

#include "tests/cli/emulator.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {
namespace {

using Args = std::vector<std::string>;

class FaultCommands : public ::testing::Test {
protected:
    FaultCommands() { emu_.add_ram_disks(2, 131072); }
    DmsetupResult run(const Args& argv) { return emu_.dmsetup(argv); }
    std::string ok(const Args& argv) {
        auto r = run(argv);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.err, "");
        return r.out;
    }
    // A failing command: exit 1, nothing on stdout, `err` on stderr.
    void fails(const Args& argv, const std::string& err) {
        auto r = run(argv);
        EXPECT_EQ(r.exit_code, 1);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, err);
    }
    // A read through a mapped device, run to completion on the virtual clock.
    int read(const std::string& mapped, emu::Sector sector, std::size_t sectors) {
        std::vector<std::byte> buf(sectors * emu::kSectorSize);
        std::optional<int> result;
        emu::Bio bio;
        bio.sector = sector;
        bio.sectors = sectors;
        bio.data = buf.data();
        bio.done = [&](int err) { result = err; };
        emu_.dm().find_mapped(mapped)->submit(std::move(bio));
        emu_.clock().run_until_idle();
        return result.value_or(1);
    }
    cli_test::Emulator emu_{253};
};

const std::string kHeading = "Disk             Id Kind           Fired Spec\n";

TEST_F(FaultCommands, AddPrintsTheNewId) {
    EXPECT_EQ(ok({"fault", "add", "ram0", "eio", "sectors=100-199", "op=read"}), "1\n");
    EXPECT_EQ(ok({"fault", "add", "ram0", "latency ms=5"}), "2\n");  // one quoted word works too
    EXPECT_EQ(ok({"fault", "add", "ram1", "full", "at=2048"}), "1\n");
}

TEST_F(FaultCommands, LsShowsEveryDiskOrOne) {
    ok({"fault", "add", "ram1", "latency", "ms=5"});
    ok({"fault", "add", "ram0", "eio", "sectors=100-199", "op=read"});
    ok({"fault", "add", "ram0", "lost-unflushed", "p=0.5"});
    EXPECT_EQ(ok({"fault", "ls"}), kHeading +
                                       "ram0              1 eio                0 eio "
                                       "sectors=100-199 op=read\n"
                                       "ram0              2 lost-unflushed     0 lost-unflushed "
                                       "p=0.5\n"
                                       "ram1              1 latency            0 latency ms=5\n");
    EXPECT_EQ(ok({"fault", "ls", "ram1"}),
              kHeading + "ram1              1 latency            0 latency ms=5\n");
}

TEST_F(FaultCommands, LsWithoutFaults) {
    EXPECT_EQ(ok({"fault", "ls"}), "No faults found\n");
    EXPECT_EQ(ok({"fault", "ls", "ram0"}), "No faults found\n");
}

TEST_F(FaultCommands, LsColumnsWidenForLongNames) {
    const std::string name(20, 'd');
    ASSERT_EQ(run({"disk", "add", name, "--size", "1M"}).exit_code, 0);
    ok({"fault", "add", name, "eio"});
    EXPECT_EQ(ok({"fault", "ls"}), "Disk" + std::string(17, ' ') +
                                       "Id Kind           Fired Spec\n" + name +
                                       "  1 eio                0 eio\n");
}

TEST_F(FaultCommands, RmRemovesOne) {
    ok({"fault", "add", "ram0", "eio"});
    ok({"fault", "add", "ram0", "latency", "ms=1"});
    EXPECT_EQ(ok({"fault", "rm", "ram0", "1"}), "");
    EXPECT_EQ(ok({"fault", "ls"}),
              kHeading + "ram0              2 latency            0 latency ms=1\n");
}

TEST_F(FaultCommands, ClearOneDiskOrAll) {
    ok({"fault", "add", "ram0", "eio"});
    ok({"fault", "add", "ram1", "eio"});
    EXPECT_EQ(ok({"fault", "clear", "ram0"}), "");
    EXPECT_EQ(ok({"fault", "ls"}), kHeading + "ram1              1 eio                0 eio\n");
    EXPECT_EQ(ok({"fault", "clear"}), "");
    EXPECT_EQ(ok({"fault", "ls"}), "No faults found\n");
}

TEST_F(FaultCommands, WrongDiskSaysSoInTheDaemonsWords) {
    fails({"fault", "add", "nosuch", "eio"}, "fault: no disk named 'nosuch'\n");
    fails({"fault", "ls", "nosuch"}, "fault: no disk named 'nosuch'\n");
    fails({"fault", "rm", "nosuch", "1"}, "fault: no disk named 'nosuch'\n");
    fails({"fault", "clear", "nosuch"}, "fault: no disk named 'nosuch'\n");
}

TEST_F(FaultCommands, BadSpecSaysWhichWord) {
    fails({"fault", "add", "ram0", "eio", "sectors=200-100"},
          "fault: eio: bad sector range '200-100' (FIRST-LAST or SECTOR)\n");
    auto kind = run({"fault", "add", "ram0", "flood"});
    EXPECT_EQ(kind.exit_code, 1);
    EXPECT_EQ(kind.err.rfind("fault: unknown kind 'flood'", 0), 0u) << kind.err;
    EXPECT_EQ(ok({"fault", "ls"}), "No faults found\n");  // nothing installed
}

TEST_F(FaultCommands, WrongIdSaysSo) {
    ok({"fault", "add", "ram0", "eio"});
    fails({"fault", "rm", "ram0", "7"}, "fault: disk 'ram0' has no fault 7\n");
    fails({"fault", "rm", "ram0", "one"},
          "fault rm: invalid fault id 'one' (a number from fault ls)\n");
    fails({"fault", "rm", "ram0", "-1"}, "fault: unknown option '-1'\n");
}

TEST_F(FaultCommands, MissingArguments) {
    fails({"fault", "add"}, "fault add: a disk name and a fault spec are required\n");
    fails({"fault", "add", "ram0"}, "fault add: a disk name and a fault spec are required\n");
    fails({"fault", "rm", "ram0"}, "fault rm: a disk name and a fault id are required\n");
    fails({"fault", "rm"}, "fault rm: a disk name and a fault id are required\n");
}

TEST_F(FaultCommands, TooManyArguments) {
    fails({"fault", "ls", "ram0", "ram1"}, "fault ls: at most one disk name\n");
    fails({"fault", "clear", "ram0", "ram1"}, "fault clear: at most one disk name\n");
    fails({"fault", "rm", "ram0", "1", "2"}, "fault rm: a disk name and a fault id are required\n");
}

TEST_F(FaultCommands, UnknownOrMissingSubcommandShowsTheUsage) {
    fails({"fault"},
          "fault: a subcommand is required (add, ls, rm, clear)\n" + dmemu_commands_usage());
    fails({"fault", "list"}, "fault: unknown subcommand 'list'\n" + dmemu_commands_usage());
    fails({"fault", "ls", "--bogus"}, "fault: unknown option '--bogus'\n");
}

TEST_F(FaultCommands, HelpShowsTheFaultCommandsAndEveryKind) {
    for (const Args& argv : {Args{"fault", "--help"}, Args{"fault", "add", "-h"}}) {
        auto r = run(argv);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, dmemu_commands_usage());
    }
    const std::string usage = dmemu_commands_usage();
    for (const char* line :
         {"\tfault add <disk> <spec>...\n", "\tfault ls [<disk>]\n", "\tfault rm <disk> <id>\n",
          "\tfault clear [<disk>]\n", "\teio [sectors=FIRST-LAST]", "\tlatency ", "\ttorn-write ",
          "\tlost-unflushed ", "\tfull "})
        EXPECT_NE(usage.find(line), std::string::npos) << line;
    EXPECT_NE(run({"--help"}).err.find("\tfault add <disk> <spec>...\n"), std::string::npos);
}

TEST_F(FaultCommands, DoubleDashEndsOptions) {
    EXPECT_EQ(ok({"fault", "add", "ram0", "--", "eio", "op=read"}), "1\n");
    EXPECT_EQ(ok({"fault", "ls"}),
              kHeading + "ram0              1 eio                0 eio op=read\n");
}

// The live mode: a fault added through the CLI fails reads of its range through a
// linear device, `fault ls` counts the firings, `fault clear` ends it.
TEST_F(FaultCommands, EioFaultFailsReadsThroughADeviceUntilCleared) {
    ASSERT_EQ(run({"create", "lin", "--table", "0 131072 linear /dev/ram0 0"}).exit_code, 0);
    EXPECT_EQ(ok({"fault", "add", "ram0", "eio", "sectors=2048-2055", "op=read"}), "1\n");
    EXPECT_EQ(read("lin", 2048, 8), -EIO);
    EXPECT_EQ(read("lin", 2040, 16), -EIO);  // overlapping the range is enough
    EXPECT_EQ(read("lin", 0, 8), 0);
    EXPECT_EQ(read("lin", 2056, 8), 0);
    EXPECT_EQ(
        ok({"fault", "ls", "ram0"}),
        kHeading + "ram0              1 eio                2 eio sectors=2048-2055 op=read\n");
    ok({"fault", "clear"});
    EXPECT_EQ(read("lin", 2048, 8), 0);
}

}  // namespace
}  // namespace dmemu::dmsetup
