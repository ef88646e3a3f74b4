// SPDX-License-Identifier: GPL-2.0-only
// kcopyd (emu/core/kcopyd.hpp): the kernel's chunking of a copy, the copy bandwidth as virtual
// time, and what a mirror's resync costs with it.
#include "emu/core/kcopyd.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <vector>

#include "emu/io/memory_disk.hpp"
#include "tests/mirror/mirror_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using namespace std::chrono_literals;

// A disk that records each bio's op and size, and fails writes when told to.
class RecordingDisk final : public BlockDevice {
public:
    RecordingDisk(boost::asio::io_context& ctx, Sector sectors) : inner_(ctx, sectors) {}
    Sector size_sectors() const override { return inner_.size_sectors(); }
    void submit(Bio bio) override {
        seen.push_back({bio.op, bio.sector, bio.sectors});
        if (fail_writes && bio.op == BioOp::write) {
            bio.done(-EIO);
            return;
        }
        inner_.submit(std::move(bio));
    }
    struct Seen {
        BioOp op;
        Sector sector, sectors;
    };
    std::vector<Seen> seen;
    bool fail_writes = false;

private:
    MemoryDisk inner_;
};

class KcopydTest : public MirrorFixture {
protected:
    KcopydResult copy(Kcopyd& k, RecordingDisk& from, std::vector<RecordingDisk*> to, Sector count,
                      bool ignore_errors = false) {
        std::vector<KcopydRegion> regions;
        for (auto* d : to) regions.push_back({d, 0});
        return run(k.copy(clock_, {&from, 0}, std::move(regions), count, ignore_errors));
    }
    boost::asio::awaitable<void> copy_and_count(Kcopyd& k, RecordingDisk& from, RecordingDisk& to,
                                                int& done) {
        std::vector<KcopydRegion> dests(1, KcopydRegion{&to, 0});  // (GCC 12: no braced list here)
        co_await k.copy(clock_, {&from, 0}, std::move(dests), 2048, false);
        ++done;
    }
};

TEST_F(KcopydTest, AJobOfOneSubJobIsOneReadAndOneWritePerDestination) {
    Kcopyd k;
    RecordingDisk src(ctx_, 4096), a(ctx_, 4096), b(ctx_, 4096);
    const auto r = copy(k, src, {&a, &b}, 1024);
    EXPECT_FALSE(r.read_err);
    EXPECT_EQ(r.write_err, 0u);
    ASSERT_EQ(src.seen.size(), 1u);
    EXPECT_EQ(src.seen[0].sectors, 1024u);
    ASSERT_EQ(a.seen.size(), 1u);
    ASSERT_EQ(b.seen.size(), 1u);
}

TEST_F(KcopydTest, ALargerJobIsSplitIntoSubJobSizedChunks) {
    Kcopyd k;
    RecordingDisk src(ctx_, 16384), dst(ctx_, 16384);
    copy(k, src, {&dst}, 3000);
    std::vector<Sector> sizes;
    Sector total = 0;
    for (const auto& s : src.seen) {
        EXPECT_EQ(s.op, BioOp::read);
        EXPECT_LE(s.sectors, Kcopyd::kSubJobSectors);
        sizes.push_back(s.sectors);
        total += s.sectors;
    }
    EXPECT_EQ(sizes, (std::vector<Sector>{1024, 1024, 952}));
    EXPECT_EQ(total, 3000u);
    EXPECT_EQ(dst.seen.size(), 3u);
}

TEST_F(KcopydTest, TheBandwidthIsVirtualTimeSharedByEveryCopy) {
    Kcopyd k;
    k.set_bandwidth(1 << 20);  // 1 MiB/s
    RecordingDisk src(ctx_, 16384), a(ctx_, 16384), b(ctx_, 16384);
    const auto t0 = clock_.now();
    copy(k, src, {&a}, 2048);  // 1 MiB
    EXPECT_EQ(clock_.now() - t0, Duration(1s));

    // Two copies at once share it: 2 MiB in 2 s, not in 1.
    const auto t1 = clock_.now();
    int done = 0;
    for (RecordingDisk* d : std::vector<RecordingDisk*>{&a, &b})
        boost::asio::co_spawn(ctx_, copy_and_count(k, src, *d, done), boost::asio::detached);
    clock_.run_until_idle();
    EXPECT_EQ(done, 2);
    EXPECT_EQ(clock_.now() - t1, Duration(2s));
}

TEST_F(KcopydTest, WriteErrorsAreOneBitPerDestinationUnlessIgnored) {
    Kcopyd k;
    RecordingDisk src(ctx_, 16384), a(ctx_, 16384), b(ctx_, 16384);
    b.fail_writes = true;
    auto r = copy(k, src, {&a, &b}, 16384);  // 16 chunks
    EXPECT_EQ(r.write_err, 0b10u);
    // split_job starts 8 sub-jobs at once; after the error none takes another chunk.
    EXPECT_EQ(src.seen.size(), Kcopyd::kSplitCount);

    src.seen.clear();
    r = copy(k, src, {&a, &b}, 16384, /*ignore_errors=*/true);
    EXPECT_EQ(r.write_err, 0u);
    EXPECT_EQ(src.seen.size(), 16u);
}

// A mirror's resync at 1 MiB/s: 32 MiB of regions take 32 s of virtual time, one region at a time.
TEST_F(KcopydTest, AMirrorResyncTakesTheTimeItsBytesTakeAtTheBandwidth) {
    dm_.module_states().get<Kcopyd>()->set_bandwidth(1 << 20);
    fill_ram(0, 0, 65536, 3);
    const auto t0 = clock_.now();
    activate("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(clock_.now() - t0, Duration(32s));
    EXPECT_EQ(read_ram(0, 0, 65536), read_ram(1, 0, 65536));
}

TEST_F(KcopydTest, WithoutABandwidthAResyncTakesNoVirtualTime) {
    fill_ram(0, 0, 65536, 3);
    const auto t0 = clock_.now();
    activate("m", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    EXPECT_EQ(status_line("m"), "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core");
    EXPECT_EQ(clock_.now() - t0, Duration(0s));
}

}  // namespace
}  // namespace dmemu::emu::testing
