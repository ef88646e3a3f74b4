// SPDX-License-Identifier: GPL-2.0-only
// full: -ENOSPC on writes past a sector, or once a thin-pool-like allocation is used up.
#include <cerrno>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

class Full : public FaultyDiskFixture {};

TEST_F(Full, AtFailsWritesReachingTheThreshold) {
    add("full at=1000");
    EXPECT_EQ(io(BioOp::write, 992, 8, nullptr, 1), 0);
    EXPECT_EQ(io(BioOp::write, 996, 8, nullptr, 2), -ENOSPC);
    const auto first = pattern(8, 1);
    EXPECT_EQ(on_media(996, 4),
              std::vector<std::byte>(first.begin() + 4 * kSectorSize, first.end()));
    EXPECT_EQ(on_media(1000, 4), std::vector<std::byte>(4 * kSectorSize));  // nothing of it landed
    EXPECT_EQ(io(BioOp::read, 2000, 8), 0);
    EXPECT_EQ(io(BioOp::flush, 0, 0), 0);
    EXPECT_EQ(
        event_lines(),
        std::vector<std::string>{
            "t=0.000000000 disk=d0 fault=1 kind=full sectors=996+8 write failed with -ENOSPC"});
}

TEST_F(Full, AfterAllocatesDistinctSectorsAndRewritesAreFree) {
    add("full after=16");
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 1), 0);
    EXPECT_EQ(io(BioOp::write, 100, 8, nullptr, 1), 0);
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 2), 0);
    EXPECT_EQ(io(BioOp::write, 104, 8, nullptr, 2), -ENOSPC);  // needs 4 new sectors
    EXPECT_EQ(io(BioOp::write, 100, 8, nullptr, 3), 0);
    const auto third = pattern(8, 3);
    EXPECT_EQ(on_media(104, 4),
              std::vector<std::byte>(third.begin() + 4 * kSectorSize, third.end()));
    EXPECT_EQ(on_media(108, 4), std::vector<std::byte>(4 * kSectorSize));
    EXPECT_EQ(io(BioOp::write, 200, 1, nullptr, 1), -ENOSPC);
    EXPECT_EQ(events_of("full"), 2u);
}

}  // namespace
}  // namespace dmemu::emu::testing
