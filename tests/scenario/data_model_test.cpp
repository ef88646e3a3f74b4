// SPDX-License-Identifier: GPL-2.0-only
// The self-identifying pattern and the record of writes: what a sector may hold after
// acknowledged, overlapping, in-flight and failed writes.
#include "emu/sim/data_model.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

namespace dmemu::scenario {
namespace {

SectorContent written(std::uint32_t id, std::uint64_t home) {
    return SectorContent{SectorContent::Kind::written, id, home};
}

TEST(ScenarioPattern, NamesTheWriteAndTheSector) {
    std::vector<std::byte> s(512);
    EXPECT_EQ(identify(s.data(), 7).kind, SectorContent::Kind::zeros);
    fill_sector(s.data(), 7, 12, 4096);
    auto c = identify(s.data(), 7);
    EXPECT_EQ(c.kind, SectorContent::Kind::written);
    EXPECT_EQ(c.write, 12u);
    EXPECT_EQ(c.home, 4096u);
    EXPECT_EQ(c.str(4096), "write #12");
    EXPECT_EQ(c.str(8), "write #12 of sector 4096");
    EXPECT_EQ(identify(s.data(), 8).kind, SectorContent::Kind::foreign) << "another run's seed";
    s[300] ^= std::byte{1};
    EXPECT_EQ(identify(s.data(), 7).kind, SectorContent::Kind::foreign) << "a flipped bit";
}

TEST(ScenarioDataModel, UnwrittenSectorsAreNotChecked) {
    DataModel m(1);
    EXPECT_TRUE(m.accepts("lv", 5, SectorContent{SectorContent::Kind::foreign, 0, 0}));
}

TEST(ScenarioDataModel, AnAcknowledgedWriteMustReadBack) {
    DataModel m(1);
    const auto a = m.begin_write("lv", 0, 2, "t", {});
    EXPECT_TRUE(m.accepts("lv", 0, SectorContent{})) << "in flight: the old content may remain";
    EXPECT_TRUE(m.accepts("lv", 0, written(a, 0)));
    m.end_write(a, 0);
    EXPECT_FALSE(m.accepts("lv", 0, SectorContent{})) << "zeros after an acknowledged write";
    EXPECT_TRUE(m.accepts("lv", 1, written(a, 1)));
    EXPECT_FALSE(m.accepts("lv", 1, written(a, 0))) << "the right write at the wrong place";
    const auto b = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(b, 0);
    EXPECT_FALSE(m.accepts("lv", 0, written(a, 0))) << "overwritten before b was submitted";
    EXPECT_TRUE(m.accepts("lv", 0, written(b, 0)));
    EXPECT_EQ(m.counts("lv").acked, 2u);
    EXPECT_EQ(m.counts("lv").pending(), 0u);
}

TEST(ScenarioDataModel, OverlappingWritesMayLandInEitherOrder) {
    DataModel m(1);
    const auto a = m.begin_write("lv", 0, 1, "t", {});
    const auto b = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(a, 0);
    m.end_write(b, 0);
    EXPECT_TRUE(m.accepts("lv", 0, written(a, 0)));
    EXPECT_TRUE(m.accepts("lv", 0, written(b, 0)));
    const auto c = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(c, 0);
    EXPECT_FALSE(m.accepts("lv", 0, written(a, 0)));
    EXPECT_FALSE(m.accepts("lv", 0, written(b, 0)));
}

TEST(ScenarioDataModel, AFailedWriteMayOrMayNotHaveLanded) {
    DataModel m(1);
    const auto a = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(a, 0);
    const auto b = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(b, -EIO);
    EXPECT_TRUE(m.accepts("lv", 0, written(a, 0)));
    EXPECT_TRUE(m.accepts("lv", 0, written(b, 0)));
    EXPECT_EQ(m.counts("lv").failed, 1u);
    EXPECT_NE(m.describe(b).find("failed"), std::string::npos);
}

TEST(ScenarioDataModel, AReadMayReturnAnythingTheSectorHeldWhileItWasInFlight) {
    DataModel m(1);
    const auto a = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(a, 0);
    const auto read_submitted = m.sequence();
    const auto b = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(b, 0);
    const auto c = m.begin_write("lv", 0, 1, "t", {});
    m.end_write(c, 0);
    EXPECT_TRUE(m.accepts_since("lv", 0, written(a, 0), read_submitted)) << "there at submission";
    EXPECT_TRUE(m.accepts_since("lv", 0, written(b, 0), read_submitted)) << "there in between";
    EXPECT_TRUE(m.accepts_since("lv", 0, written(c, 0), read_submitted));
    EXPECT_FALSE(m.accepts_since("lv", 0, SectorContent{}, read_submitted))
        << "zeros: overwritten by a";
    const auto later = m.sequence();
    EXPECT_FALSE(m.accepts_since("lv", 0, written(a, 0), later)) << "stale: gone before the read";
    EXPECT_FALSE(m.accepts_since("lv", 0, written(b, 0), later));
}

}  // namespace
}  // namespace dmemu::scenario
