// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/rng.hpp"

#include <gtest/gtest.h>

#include <set>

namespace dmemu::emu {
namespace {

TEST(Rng, SameSeedSameSequence) {
    Rng a(42), b(42);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(a.below(1000), b.below(1000));
}

TEST(Rng, KnownFirstDrawsArePinnedAcrossCompilers) {
    // std::mt19937_64 is specified by the standard: its 10000th output for the default seed is
    // 9981545732273789042. Our range reduction must stay stable too, so pin a few values.
    std::mt19937_64 ref;
    ref.discard(9999);
    EXPECT_EQ(ref(), 9981545732273789042ULL);
    Rng r(5489);
    const std::uint64_t first = r.next();
    Rng again(5489);
    EXPECT_EQ(again.below(1ULL << 63), first >> 1);
}

TEST(Rng, BelowStaysInRange) {
    Rng r(7);
    for (int i = 0; i < 10000; ++i) EXPECT_LT(r.below(3), 3u);
    EXPECT_EQ(r.below(1), 0u);
}

TEST(Rng, StreamsAreIndependentOfDrawsOnTheParent) {
    Rng a(99), b(99);
    a.next();
    a.next();
    EXPECT_EQ(a.stream("io").next(), b.stream("io").next());
    EXPECT_NE(a.stream("io").next(), a.stream("faults").next());
}

TEST(Rng, OneInEdges) {
    Rng r(1);
    EXPECT_FALSE(r.one_in(0));
    EXPECT_TRUE(r.one_in(1));
    std::set<bool> seen;
    for (int i = 0; i < 200; ++i) seen.insert(r.one_in(2));
    EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace dmemu::emu
