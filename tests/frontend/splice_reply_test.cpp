// SPDX-License-Identifier: GPL-2.0-only
// SpliceReplies' arithmetic: which replies fit the pipe libfuse splices through, and where reads
// are split (max_read) so that every read does. No FUSE needed.
#include "emu/frontend/splice_reply.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

namespace dmemu::emu {
namespace {

const std::size_t kPage = static_cast<std::size_t>(::getpagesize());
constexpr std::size_t kMiB = 1u << 20;
// libfuse wants 3 pages and the 16-byte header beside the data.
const std::size_t kSlack = 3 * kPage + 16;

TEST(SpliceReplies, OffUntilInitEnablesIt) {
    SpliceReplies s(4 * kMiB);
    EXPECT_FALSE(s.fits(4096));
    s.set_enabled(true);
    EXPECT_TRUE(s.fits(4096));
}

TEST(SpliceReplies, APipeAboveTheLimitTakesEveryRequestWhole) {
    SpliceReplies s(2 * kMiB);  // what root with CAP_SYS_RESOURCE gets
    s.set_enabled(true);
    EXPECT_EQ(s.max_bytes(), 2 * kMiB - kSlack);
    EXPECT_TRUE(s.fits(kMiB));
    EXPECT_EQ(s.read_split(), 0u) << "1 MiB requests fit: no max_read";
}

TEST(SpliceReplies, TheDefaultPipeLimitSplitsReadsAtHalfAMebibyte) {
    SpliceReplies s(kMiB);  // /proc/sys/fs/pipe-max-size's default, without CAP_SYS_RESOURCE
    s.set_enabled(true);
    EXPECT_EQ(s.max_bytes(), kMiB - kSlack);
    EXPECT_FALSE(s.fits(kMiB));
    EXPECT_TRUE(s.fits(kMiB - kSlack));
    EXPECT_EQ(s.read_split(), kMiB / 2);
    EXPECT_TRUE(s.fits(s.read_split()));
}

TEST(SpliceReplies, ATinyPipeNeitherSplicesLargeReadsNorSplitsThem) {
    SpliceReplies s(64u << 10);
    s.set_enabled(true);
    EXPECT_EQ(s.read_split(), 0u) << "under 64 KiB a split would cost more round trips";
    SpliceReplies none(0);
    none.set_enabled(true);
    EXPECT_FALSE(none.fits(1));
    EXPECT_EQ(none.read_split(), 0u);
}

TEST(SpliceReplies, ProbeGivesAtLeastTheDefaultPipe) {
    // Every Linux pipe holds 16 pages; growing it is what may be refused.
    EXPECT_GE(probe_pipe_capacity(kMiB), 16 * kPage);
}

}  // namespace
}  // namespace dmemu::emu
