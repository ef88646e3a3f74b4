// SPDX-License-Identifier: GPL-2.0-only
// dm-dust, following dm-dust.c of 6.1 (the oracle kernel was built without it): constructor
// errors, status lines, every message with its reply and kernel lines, and the bad-block
// behaviour of reads and writes.
#include <cerrno>

#include "tests/targets/target_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using Lines = std::vector<std::string>;

class Dust : public TargetFixture {
protected:
    // "u" over ram0 with 4 KiB blocks: 8 sectors a block, 16384 blocks on the disk.
    void make(const std::string& args = "/dev/ram0 0 4096") {
        activate("u", "0 131072 dust " + args);
    }

    // Sends a message; returns {error, reply} and the kernel lines it produced.
    std::pair<int, std::string> msg(const std::string& text, Lines* lines = nullptr) {
        const auto before = klog_.last_seq();
        auto r = message("u", text);
        if (lines) *lines = kernel_lines_since(before);
        return {r.error, r.message_output};
    }
    static std::string info(const std::string& text) { return "device-mapper: dust: " + text; }
};

std::string ctr_error(const std::string& text) {
    return "device-mapper: table: 254:0: dust: " + text + " (-EINVAL)";
}

TEST_F(Dust, ConstructorErrorsInTheKernelsOrderAndWords) {
    const std::pair<const char*, const char*> cases[] = {
        {"0 131072 dust /dev/ram0 0", "Invalid argument count"},
        {"0 131072 dust /dev/ram0 0 512 x", "Invalid argument count"},
        {"0 131072 dust /dev/ram0 0 abc", "Invalid block size parameter"},
        {"0 131072 dust /dev/ram0 0 0", "Invalid block size parameter"},
        {"0 131072 dust /dev/ram0 0 -512", "Invalid block size parameter"},
        {"0 131072 dust /dev/ram0 0 256", "Block size must be at least 512"},
        {"0 131072 dust /dev/ram0 0 1000", "Block size must be a power of 2"},
        {"0 8 dust /dev/ram0 0 8192", "Block size is too large"},
        {"0 131072 dust /dev/ram0 0 2147483648", "Block size is too large"},
        {"0 131072 dust /dev/ram0 x 512", "Invalid device offset sector"},
        {"0 131072 dust /dev/ram0 x 511", "Block size must be at least 512"},  // blksz first
        {"0 131072 dust /dev/nosuch 0 512", "Device lookup failed"},
    };
    ASSERT_EQ(create("u").error, 0);
    for (const auto& [table, error] : cases) {
        SCOPED_TRACE(table);
        int err = 0;
        const auto lines = load_lines("u", table, &err);
        EXPECT_EQ(err, -EINVAL);
        EXPECT_EQ(lines,
                  (Lines{ctr_error(error), "device-mapper: ioctl: error adding target to table"}));
    }
}

TEST_F(Dust, LargestBlockSizeIsOneGibOrTheTargetLength) {
    activate("a", "0 131072 dust /dev/ram0 0 67108864");  // the whole 64 MiB target
    activate("b", "0 8 dust /dev/ram1 0 4096");
}

TEST_F(Dust, StatusLines) {
    activate("u", "0 1024 dust /dev/ram0 16 4096");
    EXPECT_EQ(table_line("u"), "0 1024 dust 1:0 16 4096");
    EXPECT_EQ(status_line("u"), "0 1024 dust 1:0 bypass verbose");
    EXPECT_EQ(msg("enable").first, 0);
    EXPECT_EQ(status_line("u"), "0 1024 dust 1:0 fail_read_on_bad_block verbose");
    EXPECT_EQ(msg("quiet").first, 0);
    EXPECT_EQ(status_line("u"), "0 1024 dust 1:0 fail_read_on_bad_block quiet");
    EXPECT_EQ(msg("quiet").first, 0);  // quiet toggles
    EXPECT_EQ(msg("DISABLE").first, 0);
    EXPECT_EQ(status_line("u"), "0 1024 dust 1:0 bypass verbose");
}

TEST_F(Dust, TableLineRebuildsTheSameTable) {
    activate("u", "0 1024 dust /dev/ram0 16 4096");
    const std::string table = table_line("u");
    ASSERT_EQ(remove("u").error, 0);
    activate("u", table);
    EXPECT_EQ(table_line("u"), table);
}

TEST_F(Dust, AddListCountQueryRemoveClear) {
    make();
    Lines lines;
    EXPECT_EQ(msg("countbadblocks"),
              std::make_pair(0, std::string("countbadblocks: 0 badblock(s) found")));
    EXPECT_EQ(msg("listbadblocks"), std::make_pair(0, std::string("No blocks in badblocklist")));
    EXPECT_EQ(msg("addbadblock 60", &lines), std::make_pair(0, std::string()));
    EXPECT_EQ(lines,
              Lines{info("dust_add_block: badblock added at block 60 with write fail count 0")});
    EXPECT_EQ(msg("addbadblock 7 3", &lines).first, 0);
    EXPECT_EQ(lines,
              Lines{info("dust_add_block: badblock added at block 7 with write fail count 3")});
    EXPECT_EQ(msg("addbadblock 60", &lines).first, -EINVAL);
    EXPECT_EQ(lines, Lines{info("dust_add_block: block 60 already in badblocklist")});
    EXPECT_EQ(msg("listbadblocks"), std::make_pair(0, std::string("7\n60\n")));  // block order
    EXPECT_EQ(msg("countbadblocks").second, "countbadblocks: 2 badblock(s) found");
    EXPECT_EQ(msg("queryblock 60").second, "dust_query_block: block 60 found in badblocklist");
    EXPECT_EQ(msg("queryblock 61").second, "dust_query_block: block 61 not found in badblocklist");
    EXPECT_EQ(msg("removebadblock 61", &lines).first, -EINVAL);
    EXPECT_EQ(lines, Lines{info("dust_remove_block: block 61 not found in badblocklist")});
    EXPECT_EQ(msg("removebadblock 60", &lines).first, 0);
    EXPECT_EQ(lines, Lines{info("dust_remove_block: badblock removed at block 60")});
    EXPECT_EQ(msg("clearbadblocks"),
              std::make_pair(0, std::string("dust_clear_badblocks: badblocks cleared")));
    EXPECT_EQ(msg("clearbadblocks").second, "dust_clear_badblocks: no badblocks found");
    EXPECT_EQ(msg("countbadblocks").second, "countbadblocks: 0 badblock(s) found");
}

TEST_F(Dust, BadMessagesInTheKernelsWords) {
    make();
    const std::pair<const char*, Lines> cases[] = {
        {"addbadblock", {info("addbadblock requires an additional argument")}},
        {"QueryBlock", {info("QueryBlock requires an additional argument")}},
        {"frobnicate", {info("unrecognized message 'frobnicate' received")}},
        {"enable 1", {info("unrecognized message 'enable' received")}},
        {"queryblock 1 2", {info("unrecognized message 'queryblock' received")}},
        {"a b c d", {info("invalid number of arguments '4'")}},
        {"addbadblock 16385", {info("selected block value out of range")}},
        {"addbadblock 1 256", {info("selected write fail count out of range")}},
        {"addbadblock x", {}},
        {"addbadblock 1 -1", {}},
    };
    for (const auto& [text, expected] : cases) {
        SCOPED_TRACE(text);
        Lines lines;
        EXPECT_EQ(msg(text, &lines), std::make_pair(-EINVAL, std::string()));
        EXPECT_EQ(lines, expected);
    }
    // The last block number allowed is the device's size in blocks (16384), not one less.
    EXPECT_EQ(msg("addbadblock 16384").first, 0);
    // "%u" wraps: 4294967296 is a write fail count of 0.
    EXPECT_EQ(msg("addbadblock 1 4294967296").first, 0);
}

TEST_F(Dust, MessagesGoThroughDmsetupsEnableLines) {
    make();
    Lines lines;
    msg("enable", &lines);
    EXPECT_EQ(lines, Lines{info("enabling read failures on bad sectors")});
    msg("disable", &lines);
    EXPECT_EQ(lines, Lines{info("disabling read failures on bad sectors")});
}

TEST_F(Dust, QuietSilencesAddRemoveAndRepairLines) {
    make();
    Lines lines;
    msg("quiet");
    msg("addbadblock 5", &lines);
    EXPECT_TRUE(lines.empty());
    msg("addbadblock 5", &lines);
    EXPECT_TRUE(lines.empty());
    msg("enable");
    const auto before = klog_.last_seq();
    EXPECT_EQ(io_now("u", BioOp::write, 5 * 8, 8, nullptr, 1), 0);
    EXPECT_TRUE(kernel_lines_since(before).empty());
}

TEST_F(Dust, BadBlocksFailReadsOnlyOnceEnabled) {
    fill_ram(0, 16, 8, 3);
    make();
    msg("addbadblock 2");  // sectors 16..23
    std::vector<std::byte> buf;
    EXPECT_EQ(io_now("u", BioOp::read, 16, 8, &buf), 0);
    EXPECT_EQ(buf, pattern(8, 3));
    msg("enable");
    EXPECT_EQ(io_now("u", BioOp::read, 16, 8), -EIO);
    EXPECT_EQ(io_now("u", BioOp::read, 23, 1), -EIO);
    EXPECT_EQ(io_now("u", BioOp::read, 8, 8), 0);
    EXPECT_EQ(io_now("u", BioOp::read, 24, 8), 0);
    // A bio across blocks is split at block boundaries; the piece on block 2 fails it.
    EXPECT_EQ(io_now("u", BioOp::read, 8, 16), -EIO);
    msg("disable");
    EXPECT_EQ(io_now("u", BioOp::read, 16, 8), 0);
}

TEST_F(Dust, BlockNumbersCountFromTheDevicesStartIncludingTheOffset) {
    activate("u", "0 1024 dust /dev/ram0 16 4096");
    msg("addbadblock 2");
    msg("enable");
    EXPECT_EQ(io_now("u", BioOp::read, 0, 8), -EIO);  // device sectors 16..23
    EXPECT_EQ(io_now("u", BioOp::read, 8, 8), 0);
}

TEST_F(Dust, AWriteRepairsABadBlock) {
    make();
    msg("addbadblock 2");
    msg("enable");
    const auto before = klog_.last_seq();
    EXPECT_EQ(io_now("u", BioOp::write, 16, 8, nullptr, 4), 0);
    // 6.1 divides the block number by the sectors per block once more in this line.
    EXPECT_EQ(kernel_lines_since(before),
              Lines{info("block 0 removed from badblocklist by write")});
    EXPECT_EQ(read_ram(0, 16, 8), pattern(8, 4));
    EXPECT_EQ(io_now("u", BioOp::read, 16, 8), 0);
    EXPECT_EQ(msg("countbadblocks").second, "countbadblocks: 0 badblock(s) found");
}

TEST_F(Dust, WriteFailCountFailsThatManyWritesFirst) {
    fill_ram(0, 24, 8, 1);
    make();
    msg("addbadblock 3 2");
    msg("enable");
    EXPECT_EQ(io_now("u", BioOp::write, 24, 8, nullptr, 9), -EIO);
    EXPECT_EQ(io_now("u", BioOp::write, 24, 8, nullptr, 9), -EIO);
    EXPECT_EQ(read_ram(0, 24, 8), pattern(8, 1));  // failed writes did not land
    EXPECT_EQ(msg("queryblock 3").second, "dust_query_block: block 3 found in badblocklist");
    EXPECT_EQ(io_now("u", BioOp::write, 24, 8, nullptr, 9), 0);
    EXPECT_EQ(read_ram(0, 24, 8), pattern(8, 9));
    EXPECT_EQ(msg("queryblock 3").second, "dust_query_block: block 3 not found in badblocklist");
}

TEST_F(Dust, WritesAreNotCheckedWhileDisabled) {
    make();
    msg("addbadblock 3 2");
    EXPECT_EQ(io_now("u", BioOp::write, 24, 8, nullptr, 9), 0);
    EXPECT_EQ(msg("countbadblocks").second, "countbadblocks: 1 badblock(s) found");
}

TEST_F(Dust, AFlushPassesWhateverTheList) {
    make();
    msg("addbadblock 0 1");
    msg("enable");
    EXPECT_EQ(io_now("u", BioOp::flush, 0, 0), 0);
    EXPECT_EQ(msg("countbadblocks").second, "countbadblocks: 1 badblock(s) found");
}

}  // namespace
}  // namespace dmemu::emu::testing
