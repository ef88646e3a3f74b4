// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's command line: getopt_long's syntax and words, dmsetup's switch checks, usage
// errors and help.
#include <gtest/gtest.h>

#include "tests/cli/emulator.hpp"
#include "tools/dmsetup/options.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {
namespace {

using Args = std::vector<std::string>;

Options parsed(const Args& argv) {
    auto p = parse_options(argv);
    EXPECT_TRUE(p.options) << p.error;
    return p.options.value_or(Options{});
}

std::string error_of(const Args& argv) {
    auto p = parse_options(argv);
    EXPECT_FALSE(p.options);
    return p.error;
}

TEST(DmsetupOptions, OptionsMayFollowTheCommandAndItsArguments) {
    const Options o = parsed({"create", "lc", "--uuid", "U-1", "--table", "0 1 zero", "-r"});
    EXPECT_EQ(o.args, (Args{"create", "lc"}));
    EXPECT_EQ(o.uuid, "U-1");
    EXPECT_EQ(o.table, "0 1 zero");
    EXPECT_EQ(o.readonly, 1);
}

TEST(DmsetupOptions, OptionsMayPrecedeTheCommand) {
    const Options o = parsed({"-c", "--noheadings", "-o", "blkdevname", "info", "lc2"});
    EXPECT_EQ(o.columns, 1);
    EXPECT_EQ(o.noheadings, 1);
    EXPECT_EQ(o.fields, "blkdevname");
    EXPECT_EQ(o.args, (Args{"info", "lc2"}));
}

TEST(DmsetupOptions, UniqueLongPrefixesAndEqualsForm) {
    EXPECT_EQ(parsed({"--tab", "0 1 zero", "load", "x"}).table, "0 1 zero");
    EXPECT_EQ(parsed({"--table=0 1 zero"}).table, "0 1 zero");
    EXPECT_EQ(parsed({"--inact", "table"}).inactive, 1);
    EXPECT_EQ(parsed({"--setuuid", "rename", "a", "b"}).setuuid, 1);
}

TEST(DmsetupOptions, ShortOptionClustersAndAttachedArguments) {
    const Options o = parsed({"-Cvoname,uuid", "info"});
    EXPECT_EQ(o.columns, 1);
    EXPECT_EQ(o.verbose, 1);
    EXPECT_EQ(o.fields, "name,uuid");
    EXPECT_EQ(parsed({"-uX", "info"}).uuid, "X");
    EXPECT_EQ(parsed({"-n", "create", "x"}).notable, 1);
    EXPECT_EQ(parsed({"-f", "remove", "x"}).force, 1);
}

TEST(DmsetupOptions, DoubleDashEndsOptions) {
    EXPECT_EQ(parsed({"message", "m", "0", "--", "--flag"}).args,
              (Args{"message", "m", "0", "--flag"}));
}

TEST(DmsetupOptions, GlibcWordsForBadOptions) {
    EXPECT_EQ(error_of({"--frobnicate"}), "dmsetup: unrecognized option '--frobnicate'\n");
    EXPECT_EQ(error_of({"--table"}), "dmsetup: option '--table' requires an argument\n");
    EXPECT_EQ(error_of({"--force=1"}), "dmsetup: option '--force' doesn't allow an argument\n");
    EXPECT_EQ(error_of({"-u"}), "dmsetup: option requires an argument -- 'u'\n");
    EXPECT_EQ(error_of({"-x"}), "dmsetup: invalid option -- 'x'\n");
    EXPECT_EQ(parsed({"--nol"}).nolockfs, 1);  // unique: no ambiguity
    EXPECT_EQ(error_of({"--no"}).rfind("dmsetup: option '--no' is ambiguous; possibilities: ", 0),
              0u);
}

TEST(DmsetupOptions, DmsetupSwitchChecks) {
    EXPECT_EQ(error_of({"--table", "x", "--notable", "create", "a"}),
              "--table and --notable are incompatible.\n");
    EXPECT_EQ(error_of({"-j", "254", "info"}),
              "Please specify both major number and minor number.\n");
    EXPECT_EQ(error_of({"--headings", "sideways"}), "Unknown headings type.\n");
    EXPECT_EQ(parsed({"--headings", "full"}).headings, 2);
    EXPECT_EQ(parsed({"--headings", "none"}).headings, 0);
}

TEST(DmsetupOptions, RecognisedButNotEmulated) {
    EXPECT_EQ(parsed({"--select", "name=x", "info"}).unsupported, (Args{"select"}));
    EXPECT_TRUE(parsed({"--noudevsync", "--yes", "info"}).unsupported.empty());
}

TEST(DmsetupOptions, FirstWordSkipsOptionsAndTheirArguments) {
    EXPECT_EQ(first_word({"--table", "disk", "create", "x"}), "create");
    EXPECT_EQ(first_word({"-v", "disk", "add", "r", "--size", "1M"}), "disk");
    EXPECT_FALSE(first_word({"-c"}));
}

class DmsetupUsage : public ::testing::Test {
protected:
    cli_test::Emulator emu_;
};

TEST_F(DmsetupUsage, UnknownCommandPrintsUsageAndExitsOne) {
    auto r = emu_.dmsetup({"frobnicate"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "Unknown command.\n" + dmsetup_usage());
}

TEST_F(DmsetupUsage, NoCommandPrintsUsageAndExitsOne) {
    auto r = emu_.dmsetup({});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, dmsetup_usage());
}

TEST_F(DmsetupUsage, WrongArgumentCount) {
    auto r = emu_.dmsetup({"rename"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Incorrect number of arguments.\n" + dmsetup_usage());
    EXPECT_EQ(emu_.dmsetup({"message", "x"}).exit_code, 1);
}

TEST_F(DmsetupUsage, BadOptionCannotProcessCommandLine) {
    auto r = emu_.dmsetup({"ls", "--frob"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmsetup: unrecognized option '--frob'\nCouldn't process command line.\n");
}

TEST_F(DmsetupUsage, HelpGoesToStderrAndExitsZero) {
    for (const Args& argv : {Args{"--help"}, Args{"-h"}, Args{"help"}}) {
        auto r = emu_.dmsetup(argv);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, dmsetup_usage());
    }
    auto cols = emu_.dmsetup({"help", "-c"});
    EXPECT_NE(cols.err.find("  blkdevname"), std::string::npos);
}

TEST_F(DmsetupUsage, CommandHelpShowsThatCommand) {
    auto r = emu_.dmsetup({"create", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err.rfind("Usage:\n\ndmsetup create <dev_name>\n", 0), 0u) << r.err;
    auto disk = emu_.dmsetup({"disk", "--help"});
    EXPECT_EQ(disk.exit_code, 0);
    EXPECT_NE(disk.err.find("disk add <name>"), std::string::npos);
}

TEST_F(DmsetupUsage, VersionSwitchRunsVersion) {
    auto r = emu_.dmsetup({"--version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "Library version:   1.02.185 (2022-05-18)\nDriver version:    4.47.0\n");
}

TEST_F(DmsetupUsage, UnsupportedOptionsAndCommandsSaySo) {
    auto r = emu_.dmsetup({"info", "--select", "name=x"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmsetup: option '--select' is not supported by dmemu\n");
    auto s = emu_.dmsetup({"udevcookies"});
    EXPECT_EQ(s.exit_code, 1);
    EXPECT_EQ(s.err, "dmsetup: 'udevcookies' is not supported by dmemu\n");
}

}  // namespace
}  // namespace dmemu::dmsetup
