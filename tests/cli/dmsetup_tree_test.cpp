// SPDX-License-Identifier: GPL-2.0-only
// `dmsetup ls --tree` with its -o options, and the report fields built on the same dependency
// tree (devs_used, device_ref_count, names_using_dev, devnos_using_dev). Expected texts are the
// real dmsetup 1.02.185's: from fixtures/oracle t37 (6.1 guest) where it covers the case, else
// captured by running the real dmsetup against dmemu (`dmemu exec DIR -- dmsetup ...`).
#include <gtest/gtest.h>

#include "tests/cli/emulator.hpp"
#include "tools/dmsetup/report.hpp"

namespace dmemu::dmsetup {
namespace {

using Args = std::vector<std::string>;

// t37's devices: base on ram0 (with a uuid), top on base, a core-log mirror m on ram1 and ram2.
class DmsetupTree : public ::testing::Test {
protected:
    DmsetupTree() { emu_.add_ram_disks(4, 131072); }
    DmsetupResult run(const Args& argv, Terminal terminal = {}) {
        return emu_.dmsetup(argv, {}, terminal);
    }
    void ok(const Args& argv) {
        auto r = run(argv);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    void create_t37_devices() {
        ok({"create", "base", "--uuid", "BASE-UUID-1", "--table", "0 65536 linear /dev/ram0 0"});
        ok({"create", "top", "--table", "0 32768 linear /dev/mapper/base 0"});
        ok({"create", "m", "--table", "0 65536 mirror core 1 1024 2 /dev/ram1 0 /dev/ram2 0"});
    }
    cli_test::Emulator emu_{254};
};

TEST_F(DmsetupTree, LsTreeDrawsUsersAboveWhatTheyUse) {
    create_t37_devices();
    const auto r = run({"ls", "--tree"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out,
              "m (254:2)\n"
              " |- (1:2)\n"
              " `- (1:1)\n"
              "top (254:1)\n"
              " `-base (254:0)\n"
              "    `- (1:0)\n");
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(run({"ls", "--tree", "-o", "notrunc"}).out, r.out);
}

TEST_F(DmsetupTree, InvertedStartsFromTheDisks) {
    create_t37_devices();
    EXPECT_EQ(run({"ls", "--tree", "-o", "inverted"}).out,
              " (1:0)\n"
              " `-base (254:0)\n"
              "    `-top (254:1)\n"
              " (1:2)\n"
              " `-m (254:2)\n"
              " (1:1)\n"
              " `-m (254:2)\n");
}

TEST_F(DmsetupTree, AttributesInBracketsAfterTheDevice) {
    create_t37_devices();
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii,device,blkdevname,active,open,rw,uuid"}).out,
              "m <dm-2> (254:2) [ACTIVE, RW, 0, ]\n"
              " |- <ram2> (1:2)\n"
              " `- <ram1> (1:1)\n"
              "top <dm-1> (254:1) [ACTIVE, RW, 0, ]\n"
              " `-base <dm-0> (254:0) [ACTIVE, RW, 1, BASE-UUID-1]\n"
              "    `- <ram0> (1:0)\n");
}

TEST_F(DmsetupTree, ReportFieldsFromTheTree) {
    create_t37_devices();
    const auto r = run(
        {"info", "-c", "-o", "name,devs_used,device_ref_count,names_using_dev,devnos_using_dev"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "Name             DevNamesUsed     #Refs RefNames RefDevNos\n"
              "base                                  1 top      254:1    \n"
              "m                                     0                   \n"
              "top              base                 0                   \n");
}

TEST_F(DmsetupTree, NoDevices) {
    const auto r = run({"ls", "--tree"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "No devices found\n");
}

TEST_F(DmsetupTree, UnknownTreeOptionQuotesTheRestOfTheList) {
    const auto r = run({"ls", "--tree", "-o", "ascii,foo,uuid"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "Tree options not recognised: foo,uuid.\nCouldn't process command line.\n");
}

// A device used by two others shows under each; the zero device uses nothing, nt has no table.
class DmsetupTreeShapes : public DmsetupTree {
protected:
    void create_shapes() {
        ok({"create", "a", "--table", "0 65536 linear /dev/ram0 0"});
        ok({"create", "b", "--table", "0 8 linear /dev/mapper/a 0"});
        ok({"create", "c", "--table", "0 8 linear /dev/mapper/a 8"});
        ok({"create", "z", "--table", "0 8 zero"});
        ok({"create", kLong, "-u", "LONG-UUID", "--table", "0 8 linear /dev/mapper/z 0"});
        ok({"create", "nt", "--notable"});
    }
    const std::string kLong = std::string(70, 'n');
};

TEST_F(DmsetupTreeShapes, SharedDeviceUnderEachUserAndLongLinesCutAt80) {
    create_shapes();
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii,inverted"}).out,
              " (1:0)\n"
              " `-a (254:0)\n"
              "    |-b (254:1)\n"
              "    `-c (254:2)\n"
              "z (254:3)\n"
              " `-" +
                  kLong +
                  " (254:...\n"
                  "nt (254:5)\n");
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii,active,rw"}).out,
              "b (254:1) [ACTIVE, RW]\n"
              " `-a (254:0) [ACTIVE, RW]\n"
              "    `- (1:0)\n"
              "c (254:2) [ACTIVE, RW]\n"
              " `-a (254:0) [ACTIVE, RW]\n"
              "    `- (1:0)\n" +
                  kLong + " (254:4) ...\n" +
                  " `-z (254:3) [ACTIVE, RW]\n"
                  "nt (254:5) [ACTIVE, RW]\n");
}

TEST_F(DmsetupTreeShapes, NotruncAndATableLessDeviceHasNoKernelName) {
    create_shapes();
    ok({"suspend", "z"});
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii,notrunc,uuid,blkdevname,active"}).out,
              "b <dm-1> (254:1) [ACTIVE, ]\n"
              " `-a <dm-0> (254:0) [ACTIVE, ]\n"
              "    `- <ram0> (1:0)\n"
              "c <dm-2> (254:2) [ACTIVE, ]\n"
              " `-a <dm-0> (254:0) [ACTIVE, ]\n"
              "    `- <ram0> (1:0)\n" +
                  kLong + " <dm-4> (254:4) [ACTIVE, LONG-UUID]\n" +
                  " `-z <dm-3> (254:3) [SUSPENDED, ]\n"
                  "nt (254:5) [ACTIVE, ]\n");
}

TEST_F(DmsetupTreeShapes, CompactPutsAChainOnOneLine) {
    create_shapes();
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii,compact"}).out,
              "b (254:1)---a (254:0)--- (1:0)\n"
              "c (254:2)---a (254:0)--- (1:0)\n" +
                  kLong + " (254:4)-...\n" + "nt (254:5)\n");
}

TEST_F(DmsetupTree, Utf8LocaleDrawsBoxCharactersAndCompactBranches) {
    create_t37_devices();
    const Terminal utf8{0, true};
    EXPECT_EQ(run({"ls", "--tree", "-o", "compact"}, utf8).out,
              "m (254:2)─┬─ (1:2)\n"
              "          └─ (1:1)\n"
              "top (254:1)───base (254:0)─── (1:0)\n");
    EXPECT_EQ(run({"ls", "--tree", "-o", "ascii"}, utf8).out,
              run({"ls", "--tree"}).out);  // ascii overrides the locale
}

TEST_F(DmsetupTree, Vt100SwitchesCharacterSets) {
    create_t37_devices();
    EXPECT_EQ(run({"ls", "--tree", "-o", "vt100,nodevice,blkdevname"}).out,
              "m <dm-2>\n"
              " \033(0\017tq\033(B <ram2>\n"
              " \033(0\017mq\033(B <ram1>\n"
              "top <dm-1>\n"
              " \033(0\017mq\033(Bbase <dm-0>\n"
              "    \033(0\017mq\033(B <ram0>\n");
}

TEST_F(DmsetupTree, NodeviceLeavesOutDisks) {
    create_t37_devices();
    EXPECT_EQ(run({"ls", "--tree", "-o", "nodevice"}).out, "m\ntop\n `-base\n");
}

TEST_F(DmsetupTree, TerminalWidthLessThreeCutsLines) {
    create_t37_devices();
    // A 20-column terminal (the real dmsetup on a pty of that width): 17 columns, counted from
    // 1 before the first character, so 16 show and the 17th becomes "...".
    EXPECT_EQ(run({"ls", "--tree", "-o", "uuid,active"}, Terminal{20, false}).out,
              "m (254:2) [ACTIV...\n"
              " |- (1:2)\n"
              " `- (1:1)\n"
              "top (254:1) [ACT...\n"
              " `-base (254:0) ...\n"
              "    `- (1:0)\n");
    // A character after box-drawing ones counts once per character, not per byte.
    EXPECT_EQ(run({"ls", "--tree", "-o", "uuid,active,utf"}, Terminal{30, false}).out,
              "m (254:2) [ACTIVE, ]\n"
              " ├─ (1:2)\n"
              " └─ (1:1)\n"
              "top (254:1) [ACTIVE, ]\n"
              " └─base (254:0) [ACTIVE, B...\n"
              "    └─ (1:0)\n");
}

TEST_F(DmsetupTree, WordsArePrefixesAndTreeOptionsReplaceFieldsForAnyCommand) {
    create_t37_devices();
    EXPECT_EQ(run({"ls", "--tree", "-o", "d,a,o,u,r,i,as"}).out,
              " (1:0)\n"
              " `-base (254:0) [ACTIVE, RW, 1, BASE-UUID-1]\n"
              "    `-top (254:1) [ACTIVE, RW, 0, ]\n"
              " (1:2)\n"
              " `-m (254:2) [ACTIVE, RW, 0, ]\n"
              " (1:1)\n"
              " `-m (254:2) [ACTIVE, RW, 0, ]\n");
    const auto r = run({"info", "--tree", "-c", "-o", "name"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "Tree options not recognised: name.\nCouldn't process command line.\n");
    // --target wins over --tree, as in _ls.
    EXPECT_EQ(run({"ls", "--tree", "--target", "linear"}).out, "base\t(254, 0)\ntop\t(254, 1)\n");
}

TEST_F(DmsetupTree, TreeAllSelectsTheTreeFields) {
    create_t37_devices();
    EXPECT_EQ(run({"info", "-c", "-o", "tree_all"}).out,
              "DevNamesUsed     #Refs RefNames RefDevNos\n"
              "                     1 top      254:1    \n"
              "                     0                   \n"
              "base                 0                   \n");
    EXPECT_EQ(run({"info", "-c", "-o", "devs_used", "top"}).out,
              "DevNamesUsed    \nbase            \n");
}

// libdm's _display_fields heads a section when the type's description changes; dmsetup's DEPS
// and TREE types share theirs, so the tree fields sit in the deps section (t37 [18]; dmemu's id
// column is narrower, having no stats fields, so spaces are compared collapsed).
TEST(DmsetupTreeFields, ListedInTheRelationshipSectionAsDmsetupDoes) {
    const auto squeeze = [](const std::string& text) {
        std::string out;
        for (char c : text)
            if (c != ' ' || out.empty() || out.back() != ' ') out += c;
        return out;
    };
    const std::string section =
        "Mapped Device Relationship Information Fields\n"
        "---------------------------------------------\n"
        " deps_all - All fields in this section.\n"
        " device_count - Number of devices used by this one.\n"
        " devs_used - List of names of mapped devices used by this one.\n"
        " devnos_used - List of device numbers of devices used by this one.\n"
        " blkdevs_used - List of names of block devices used by this one.\n"
        " device_ref_count - Number of mapped devices referencing this one.\n"
        " names_using_dev - List of names of mapped devices using this one.\n"
        " devnos_using_dev - List of device numbers of mapped devices using this one.\n"
        " \n"
        "Mapped Device Name Components Fields\n";
    EXPECT_NE(squeeze(Report::field_list()).find(section), std::string::npos)
        << Report::field_list();
}

}  // namespace
}  // namespace dmemu::dmsetup
