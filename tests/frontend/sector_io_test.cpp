// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/sector_io.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <numeric>
#include <vector>

#include "emu/io/memory_disk.hpp"

namespace dmemu::emu {
namespace {

namespace asio = boost::asio;

struct Result {
    int err = 1;
    std::size_t bytes = 0;
};

class SectorIo : public ::testing::Test {
protected:
    asio::io_context ctx;
    MemoryDisk disk{ctx, 16};  // 8 KiB

    Result write(std::uint64_t off, const std::vector<std::byte>& data) {
        Result r;
        asio::post(ctx, [&] {
            write_bytes(disk, off, data.data(), data.size(), [&](int e, std::size_t n) {
                r = {e, n};
            });
        });
        ctx.restart();
        ctx.run();
        return r;
    }
    std::vector<std::byte> read(std::uint64_t off, std::size_t len, Result* r) {
        const SectorSpan s = sector_span(off, len, disk.size_sectors());
        std::vector<std::byte> buf(s.sectors * kSectorSize);
        asio::post(ctx, [&] {
            read_bytes(disk, off, len, buf.data(), [&](int e, std::size_t n) { *r = {e, n}; });
        });
        ctx.restart();
        ctx.run();
        return {buf.begin() + static_cast<long>(s.head),
                buf.begin() + static_cast<long>(s.head + r->bytes)};
    }
};

std::vector<std::byte> pattern(std::size_t n, int seed) {
    std::vector<std::byte> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::byte(static_cast<unsigned char>(i * 7 + seed));
    return v;
}

TEST(SectorSpan, CoversUnalignedRangeAndClipsAtEnd) {
    const SectorSpan s = sector_span(700, 1000, 16);
    EXPECT_EQ(s.sector, 1u);
    EXPECT_EQ(s.head, 188u);
    EXPECT_EQ(s.bytes, 1000u);
    EXPECT_EQ(s.sectors, 3u);
    EXPECT_EQ(sector_span(8000, 1000, 16).bytes, 192u);
    EXPECT_EQ(sector_span(8192, 10, 16).sectors, 0u);
}

TEST_F(SectorIo, UnalignedWriteKeepsNeighbouringBytes) {
    const auto base = pattern(8192, 1);
    ASSERT_EQ(write(0, base).err, 0);
    const auto patch = pattern(1000, 9);
    const Result w = write(700, patch);
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.bytes, 1000u);
    Result r;
    const auto all = read(0, 8192, &r);
    ASSERT_EQ(r.err, 0);
    auto want = base;
    std::copy(patch.begin(), patch.end(), want.begin() + 700);
    EXPECT_EQ(all, want);
}

TEST_F(SectorIo, WriteInsideOneSectorKeepsBothEdges) {
    const auto base = pattern(8192, 2);
    ASSERT_EQ(write(0, base).err, 0);
    const auto patch = pattern(10, 5);
    ASSERT_EQ(write(1030, patch).err, 0);
    Result r;
    auto want = base;
    std::copy(patch.begin(), patch.end(), want.begin() + 1030);
    EXPECT_EQ(read(0, 8192, &r), want);
}

TEST_F(SectorIo, ReadPastEndIsShort) {
    Result r;
    EXPECT_EQ(read(8000, 1000, &r).size(), 192u);
    EXPECT_EQ(r.bytes, 192u);
    read(8192, 10, &r);
    EXPECT_EQ(r.err, 0);
    EXPECT_EQ(r.bytes, 0u);
}

TEST_F(SectorIo, WritePastEndIsShortThenEnospc) {
    const Result w = write(8000, pattern(1000, 3));
    EXPECT_EQ(w.err, 0);
    EXPECT_EQ(w.bytes, 192u);
    EXPECT_EQ(write(8192, pattern(10, 3)).err, -ENOSPC);
}

TEST_F(SectorIo, DiscardNeedsAlignment) {
    int err = 1;
    asio::post(ctx, [&] { discard_bytes(disk, 100, 512, [&](int e) { err = e; }); });
    ctx.run();
    EXPECT_EQ(err, -EINVAL);
}

}  // namespace
}  // namespace dmemu::emu
