// SPDX-License-Identifier: GPL-2.0-only
// Every number a target or dirty log reads from its table words, with a sign and with leading
// zeros. The kernel reads them with two rules (emu/util/kernel_scan.hpp): sscanf "%u%c" /
// "%llu%c" refuses any sign, kstrtouint (striped's stripe count and chunk size, dust's block
// size) takes one '+'; both read "0008" as 8. Each refusal is the constructor's own error line.
#include <string>
#include <vector>

#include "emu/util/kernel_scan.hpp"
#include "tests/targets/target_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

struct Case {
    const char* table;
    // "" when the load succeeds; else the text of the kernel line after "device-mapper: ".
    const char* error;
    // what `dmsetup table` prints after a successful load
    const char* table_after;
};

class NumberArgs : public TargetFixture {
protected:
    void check(const Case& c) {
        const std::string name = "n" + std::to_string(++count_);
        ASSERT_EQ(create(name).error, 0);
        int err = 0;
        const auto lines = load_lines(name, c.table, &err);
        if (*c.error == '\0') {
            EXPECT_EQ(err, 0) << c.table;
            ASSERT_EQ(resume(name).error, 0) << c.table;
            EXPECT_EQ(table_line(name), c.table_after) << c.table;
        } else {
            EXPECT_EQ(err, -EINVAL) << c.table;
            bool found = false;
            for (const auto& l : lines) found = found || l.find(c.error) != std::string::npos;
            EXPECT_TRUE(found) << c.table << " wanted '" << c.error << "', got "
                               << ::testing::PrintToString(lines);
        }
        remove(name);
    }
    int count_ = 0;
};

TEST_F(NumberArgs, Linear) {
    for (const Case& c : {Case{"0 100 linear /dev/ram0 +8", ": linear: Invalid device sector", ""},
                          Case{"0 100 linear /dev/ram0 -8", ": linear: Invalid device sector", ""},
                          Case{"0 100 linear /dev/ram0 0008", "", "0 100 linear 1:0 8"}})
        check(c);
}

TEST_F(NumberArgs, StripedCountsAreKstrtouintOffsetsAreSscanf) {
    for (const Case& c :
         {Case{"0 256 striped +2 128 /dev/ram0 0 /dev/ram1 0", "",
               "0 256 striped 2 128 1:0 0 1:1 0"},
          Case{"0 256 striped -2 128 /dev/ram0 0 /dev/ram1 0", ": striped: Invalid stripe count",
               ""},
          Case{"0 256 striped 2 +128 /dev/ram0 0 /dev/ram1 0", "",
               "0 256 striped 2 128 1:0 0 1:1 0"},
          Case{"0 256 striped 2 -128 /dev/ram0 0 /dev/ram1 0", ": striped: Invalid chunk_size", ""},
          Case{"0 256 striped 2 128 /dev/ram0 +0 /dev/ram1 0",
               ": striped: Couldn't parse stripe destination", ""},
          Case{"0 256 striped 002 0128 /dev/ram0 016 /dev/ram1 0", "",
               "0 256 striped 2 128 1:0 16 1:1 0"}})
        check(c);
}

TEST_F(NumberArgs, MirrorAndItsLog) {
    for (const Case& c : {
             Case{"0 2048 mirror core +1 1024 2 /dev/ram0 0 /dev/ram1 0",
                  ": mirror: Invalid mirror log argument count", ""},
             Case{"0 2048 mirror core 1 +1024 2 /dev/ram0 0 /dev/ram1 0",
                  "dirty region log: invalid region size +1024", ""},
             Case{"0 2048 mirror core 1 1024 +2 /dev/ram0 0 /dev/ram1 0",
                  ": mirror: Invalid number of mirrors", ""},
             Case{"0 2048 mirror core 1 1024 2 /dev/ram0 +0 /dev/ram1 0",
                  ": mirror: Invalid offset", ""},
             Case{"0 2048 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0 +1 handle_errors",
                  ": mirror: Invalid number of features", ""},
             Case{"0 2048 mirror core 01 01024 02 /dev/ram0 00 /dev/ram1 08 01 handle_errors", "",
                  "0 2048 mirror core 1 1024 2 1:0 0 1:1 8 1 handle_errors"},
         })
        check(c);
}

TEST_F(NumberArgs, Flakey) {
    for (const Case& c :
         {Case{"0 100 flakey /dev/ram0 +0 5 5", ": flakey: Invalid device sector", ""},
          Case{"0 100 flakey /dev/ram0 0 +5 5", ": flakey: Invalid up interval", ""},
          // 6.1 reads the down interval with the up interval's dm_arg (t32)
          Case{"0 100 flakey /dev/ram0 0 5 -5", ": flakey: Invalid up interval", ""},
          Case{"0 100 flakey /dev/ram0 08 05 005", "", "0 100 flakey 1:0 8 5 5 0 "}})
        check(c);
}

TEST_F(NumberArgs, Delay) {
    for (const Case& c : {Case{"0 100 delay /dev/ram0 +0 10", ": delay: Invalid device sector", ""},
                          Case{"0 100 delay /dev/ram0 0 +10", ": delay: Invalid delay", ""},
                          Case{"0 100 delay /dev/ram0 08 010", "", "0 100 delay 1:0 8 10"}})
        check(c);
}

TEST_F(NumberArgs, DustBlockSizeIsKstrtouint) {
    for (const Case& c :
         {Case{"0 131072 dust /dev/ram0 0 +512", "", "0 131072 dust 1:0 0 512"},
          Case{"0 131072 dust /dev/ram0 0 -512", ": dust: Invalid block size parameter", ""},
          Case{"0 131072 dust /dev/ram0 +0 512", ": dust: Invalid device offset sector", ""},
          Case{"0 131072 dust /dev/ram0 00 0512", "", "0 131072 dust 1:0 0 512"}})
        check(c);
}

TEST(KernelScan, SscanfRefusesSignsKstrtouintTakesPlus) {
    EXPECT_EQ(kernel_scan_u("0008"), 8u);
    EXPECT_EQ(kernel_scan_u(" 8"), 8u);  // %u skips leading white space
    EXPECT_EQ(kernel_scan_u("+8"), std::nullopt);
    EXPECT_EQ(kernel_scan_u("-8"), std::nullopt);
    EXPECT_EQ(kernel_scan_u("8x"), std::nullopt);
    EXPECT_EQ(kernel_scan_u("4294967296"), 0u);  // %u keeps the low 32 bits
    EXPECT_EQ(kernel_kstrtouint("+8"), 8u);
    EXPECT_EQ(kernel_kstrtouint("0008"), 8u);
    EXPECT_EQ(kernel_kstrtouint("8\n"), 8u);
    EXPECT_EQ(kernel_kstrtouint("-8"), std::nullopt);
    EXPECT_EQ(kernel_kstrtouint(" 8"), std::nullopt);
    EXPECT_EQ(kernel_kstrtouint("+"), std::nullopt);
    EXPECT_EQ(kernel_kstrtouint("4294967296"), std::nullopt);  // -ERANGE
}

}  // namespace
}  // namespace dmemu::emu::testing
