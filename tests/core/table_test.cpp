// SPDX-License-Identifier: GPL-2.0-only
// Table parsing and validation with the kernel's words, and the table text round trip.
#include <cerrno>

#include "core_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using V = std::vector<std::string>;
const std::string kAdd = "device-mapper: ioctl: error adding target to table";

class TableRules : public CoreFixture {
protected:
    TableRules() {
        add_ram("ram0", 131072, DevT{1, 0});
        add_ram("ram1", 131072, DevT{1, 1});
        create("t");
    }
    // Loads `table` into t; returns the error and the kernel lines it produced.
    std::pair<int, V> try_load(const std::string& table) {
        const auto seq = klog_.last_seq();
        const int err = load("t", table).error;
        return {err, kernel_lines_since(seq)};
    }
};

TEST_F(TableRules, ZeroLengthTarget) {
    EXPECT_EQ(try_load("0 0 zero"),
              (std::pair<int, V>{-EINVAL,
                                 {"device-mapper: table: 254:0: zero-length target",
                                  "device-mapper: ioctl: error adding target to table"}}));
}

TEST_F(TableRules, UnknownTargetType) {
    EXPECT_EQ(try_load("0 100 nosuch"),
              (std::pair<int, V>{-EINVAL,
                                 {"device-mapper: table: 254:0: nosuch: unknown target type",
                                  "device-mapper: ioctl: error adding target to table"}}));
}

TEST_F(TableRules, GapOverlapAndNonZeroStartAreAllGaps) {
    for (const char* t : {"0 100 zero\n200 100 zero", "0 100 zero\n50 100 zero", "10 100 zero"}) {
        auto [err, lines] = try_load(t);
        EXPECT_EQ(err, -EINVAL) << t;
        EXPECT_EQ(lines, (V{"device-mapper: table: 254:0: zero: Gap in table (-EINVAL)", kAdd}))
            << t;
    }
}

// dm_table_add_target (6.1 stable): start + len may neither wrap nor pass LLONG_MAX >> 9, checked
// after zero-length and before the type lookup, with no target type and no errno (t38).
TEST_F(TableRules, TooLargeDevice) {
    const V too_large{"device-mapper: table: 254:0: too large device", kAdd};
    const std::string max = "18446744073709551615";
    for (const std::string& t : std::vector<std::string>{
             "0 " + max + " zero", "0 9223372036854775807 zero", "0 18014398509481984 zero",
             "0 1 zero\n1 " + max + " zero", "0 100 zero\n100 " + max + " zero", max + " 1 zero",
             "0 " + max + " linear /dev/ram0 0", "0 " + max + " nosuch"}) {
        auto [err, lines] = try_load(t);
        EXPECT_EQ(err, -EINVAL) << t;
        EXPECT_EQ(lines, too_large) << t;
    }
    // The last sector a table may end at, and zero length checked first.
    EXPECT_EQ(try_load("0 18014398509481983 zero").first, 0);
    EXPECT_EQ(try_load(max + " 0 zero").second,
              (V{"device-mapper: table: 254:0: zero-length target", kAdd}));
}

// device_area_is_invalid with a start past the device: the kernel's own sscanf wraps a number
// that does not fit (t38 [38]: 99999999999999999999 is 7766279631452241919).
TEST_F(TableRules, LinearOffsetPastTheDevice) {
    EXPECT_EQ(
        try_load("0 100 linear /dev/ram0 18446744073709551615").second,
        (V{"device-mapper: table: 254:0: ram0 too small for target: start=18446744073709551615, "
           "len=100, dev_size=131072",
           "device-mapper: core: Cannot calculate initial queue limits",
           "device-mapper: ioctl: unable to set up device queue for new table."}));
    EXPECT_EQ(try_load("0 100 linear /dev/ram0 99999999999999999999").second.front(),
              "device-mapper: table: 254:0: ram0 too small for target: start=7766279631452241919, "
              "len=100, dev_size=131072");
}

TEST_F(TableRules, EmptyTableIsRefused) { EXPECT_EQ(try_load("").first, -EINVAL); }

TEST_F(TableRules, FailedLoadLeavesDeviceUnchanged) {
    ASSERT_EQ(load("t", "0 100 zero").error, 0);
    EXPECT_EQ(try_load("0 100 nosuch").first, -EINVAL);
    const auto st = status("t", true, true);
    ASSERT_EQ(st.targets.size(), 1u);
    EXPECT_EQ(st.targets[0].length, 100u);
}

TEST_F(TableRules, ZeroTakesNoArguments) {
    EXPECT_EQ(try_load("0 100 zero foo"),
              (std::pair<int, V>{
                  -EINVAL,
                  {"device-mapper: table: 254:0: zero: No arguments required (-EINVAL)", kAdd}}));
}

TEST_F(TableRules, ErrorIgnoresArguments) { EXPECT_EQ(try_load("0 100 error foo").first, 0); }

TEST_F(TableRules, LinearConstructorErrors) {
    EXPECT_EQ(try_load("0 100 linear /dev/ram0").second,
              (V{"device-mapper: table: 254:0: linear: Invalid argument count (-EINVAL)", kAdd}));
    EXPECT_EQ(try_load("0 100 linear /dev/ram0 abc").second,
              (V{"device-mapper: table: 254:0: linear: Invalid device sector (-EINVAL)", kAdd}));
    // The kernel's sscanf "%llu" takes no sign (glibc's, which dmsetup uses, would).
    for (const char* sector : {"-1", "+1", "-0"})
        EXPECT_EQ(try_load(std::string("0 100 linear /dev/ram0 ") + sector).second,
                  (V{"device-mapper: table: 254:0: linear: Invalid device sector (-EINVAL)", kAdd}))
            << sector;
    EXPECT_EQ(try_load("0 100 linear /dev/nosuch 0").second,
              (V{"device-mapper: table: 254:0: linear: Device lookup failed (-ENODEV)", kAdd}));
    EXPECT_EQ(try_load("0 100 linear 9:99 0").second,
              (V{"device-mapper: table: 254:0: linear: Device lookup failed (-ENXIO)", kAdd}));
}

TEST_F(TableRules, DeviceTooSmallOnFirstLoad) {
    auto [err, lines] = try_load("0 200000 linear /dev/ram0 0");
    EXPECT_EQ(err, -EINVAL);
    EXPECT_EQ(lines, (V{"device-mapper: table: 254:0: ram0 too small for target: start=0, "
                        "len=200000, dev_size=131072",
                        "device-mapper: core: Cannot calculate initial queue limits",
                        "device-mapper: ioctl: unable to set up device queue for new table."}));
}

TEST_F(TableRules, DeviceTooSmallOnLaterLoadFailsAtResumeAndStaysSuspended) {
    ASSERT_EQ(load("t", "0 100 linear /dev/ram0 0").error, 0);
    ASSERT_EQ(resume("t").error, 0);
    ASSERT_EQ(load("t", "0 200000 linear /dev/ram0 0").error, 0);
    const auto seq = klog_.last_seq();
    EXPECT_EQ(resume("t").error, -EINVAL);
    EXPECT_EQ(kernel_lines_since(seq), V{"device-mapper: table: 254:0: ram0 too small for target: "
                                         "start=0, len=200000, dev_size=131072"});
    const auto i = info("t").info;
    EXPECT_TRUE(i.suspended);
    EXPECT_TRUE(i.live_table);
    EXPECT_FALSE(i.inactive_table);
}

TEST_F(TableRules, NonPowerOfTwoChunkWarnsAlignmentOnLoadAndResume) {
    const auto seq = klog_.last_seq();
    ASSERT_EQ(load("t", "0 96 striped 2 3 /dev/ram0 0 /dev/ram1 0").error, 0);
    ASSERT_EQ(resume("t").error, 0);
    const std::string warn =
        "device-mapper: table: 254:0: adding target device (start sect 0 len 96) caused an "
        "alignment inconsistency";
    EXPECT_EQ(kernel_lines_since(seq), (V{warn, warn}));
}

TEST_F(TableRules, StripedConstructorErrors) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"0 100 striped", "Not enough arguments"},
        {"0 100 striped 0 128 /dev/ram0 0", "Invalid stripe count"},
        {"0 100 striped 2 0 /dev/ram0 0 /dev/ram1 0", "Invalid chunk_size"},
        {"0 101 striped 2 8 /dev/ram0 0 /dev/ram1 0",
         "Target length not divisible by number of stripes"},
        {"0 100 striped 2 8 /dev/ram0 0 /dev/ram1 0", "Target length not divisible by chunk size"},
        {"0 128 striped 2 8 /dev/ram0 0", "Not enough destinations specified"},
        {"0 128 striped 2 8 /dev/ram0 x /dev/ram1 0", "Couldn't parse stripe destination"},
        {"0 128 striped 2 8 /dev/ram0 0 /dev/ram1 -8", "Couldn't parse stripe destination"},
    };
    for (const auto& [table, why] : cases) {
        auto [err, lines] = try_load(table);
        EXPECT_EQ(err, -EINVAL) << table;
        EXPECT_EQ(lines, (V{"device-mapper: table: 254:0: striped: " + why + " (-EINVAL)", kAdd}))
            << table;
    }
}

TEST_F(TableRules, TableStatusRoundTrips) {
    const std::string text =
        "0 32768 linear 1:0 0\n32768 32768 linear 1:1 4096\n65536 128 striped 2 32 1:0 0 1:1 64";
    ASSERT_EQ(load("t", text).error, 0);
    const auto st = status("t", true, true);
    std::string again;
    for (const auto& l : st.targets)
        again += std::to_string(l.start) + " " + std::to_string(l.length) + " " + l.type + " " +
                 l.params + "\n";
    again.pop_back();
    EXPECT_EQ(again, text);
    ASSERT_EQ(load("t", again).error, 0);
}

TEST_F(TableRules, DepsAreNewestFirstAndDeduplicated) {
    ASSERT_EQ(
        load("t", "0 100 linear /dev/ram0 0\n100 100 linear /dev/ram1 0\n200 100 linear 1:0 500")
            .error,
        0);
    DmRequest r;
    r.cmd = DmCommand::table_deps;
    r.name = "t";
    r.inactive = true;
    EXPECT_EQ(ioctl(r).deps, (std::vector<DevT>{{1, 1}, {1, 0}}));
}

TEST(TableText, ParsesLinesCommentsAndRejectsGarbage) {
    std::string err;
    auto specs = parse_table_text("# c\n0 10 zero\n\n10 5 linear 1:0  7 \n", "", &err);
    ASSERT_TRUE(specs);
    ASSERT_EQ(specs->size(), 2u);
    EXPECT_EQ((*specs)[1].params, "1:0  7");
    EXPECT_FALSE(parse_table_text("0 zero\n", "", &err));
    EXPECT_EQ(err, "Invalid format on line 1 of table ");
}

// libdm's sscanf("%llu"): a number past 2^64 - 1 saturates whatever its sign; "-1" wraps (t38).
TEST(TableText, StartAndLengthReadAsGlibcSscanfDoes) {
    std::string err;
    for (const char* line : {"0 99999999999999999999 zero", "0 -99999999999999999999 zero",
                             "0 -1 zero", "0 18446744073709551615 zero"}) {
        auto specs = parse_table_text(line, "", &err);
        ASSERT_TRUE(specs) << line;
        EXPECT_EQ((*specs)[0].length, 18446744073709551615ull) << line;
    }
    auto plus = parse_table_text("0 +100 zero", "", &err);
    ASSERT_TRUE(plus);
    EXPECT_EQ((*plus)[0].length, 100u);
    auto wrap = parse_table_text("0 -18446744073709551615 zero", "", &err);
    ASSERT_TRUE(wrap);
    EXPECT_EQ((*wrap)[0].length, 1u);
}

TEST(TableText, SplitArgsHonoursBackslash) {
    EXPECT_EQ(split_args("  a b\\ c  d\\\\e "), (V{"a", "b c", "d\\e"}));
}

}  // namespace
}  // namespace dmemu::emu::testing
