// SPDX-License-Identifier: GPL-2.0-only
// The power cut itself, and the disk without faults: forwarding, what a cut hands over, bios
// that never complete, and a whole mixed-fault run replayed from its seed.
#include <cerrno>

#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::milliseconds;

class PowerCut : public FaultyDiskFixture {};

TEST_F(PowerCut, WithoutFaultsTheDiskOnlyForwards) {
    EXPECT_EQ(disk_->size_sectors(), kSectors);
    EXPECT_TRUE(disk_->supports_discard());
    EXPECT_EQ(disk_->physical_block_size(), 4096u);
    EXPECT_EQ(io(BioOp::write, 8, 8, nullptr, 4), 0);
    EXPECT_EQ(on_media(8, 8), pattern(8, 4));
    std::vector<std::byte> buf;
    EXPECT_EQ(io(BioOp::read, 8, 8, &buf), 0);
    EXPECT_EQ(buf, pattern(8, 4));
    EXPECT_EQ(io(BioOp::read, kSectors, 1), -EIO);  // past the end
    EXPECT_EQ(clock_->now().time_since_epoch(), Duration::zero());
    EXPECT_TRUE(events_.empty());
}

TEST_F(PowerCut, HandsOverTheMediaWithEveryAcknowledgedWrite) {
    EXPECT_EQ(io(BioOp::write, 0, 8, nullptr, 4), 0);
    BlockDevice* media = cut();
    ASSERT_EQ(media, media_);
    EXPECT_FALSE(disk_->powered());
    std::vector<std::byte> buf(8 * kSectorSize);
    static_cast<MemoryDisk&>(*media).read_now(0, buf.data(), buf.size());
    EXPECT_EQ(buf, pattern(8, 4));
    EXPECT_EQ(cut(), nullptr);  // once only
    EXPECT_EQ(event_lines(),
              std::vector<std::string>{
                  "t=0.000000000 disk=d0 fault=0 kind=power-cut sectors=0+131072 power cut"});
}

TEST_F(PowerCut, BiosInFlightNeverCompleteAndLaterOnesFail) {
    add("latency ms=10");
    auto w = submit(BioOp::write, 0, 8, 1);
    auto r = submit(BioOp::read, 0, 8);
    auto f = submit(BioOp::flush, 0, 0);
    clock_->advance(milliseconds(1));
    cut();
    clock_->advance(std::chrono::seconds(1));
    EXPECT_FALSE(w->err.has_value());
    EXPECT_FALSE(r->err.has_value());
    EXPECT_FALSE(f->err.has_value());
    EXPECT_EQ(disk_->in_flight(), 0u);
    EXPECT_EQ(io(BioOp::read, 0, 8), -EIO);
}

TEST_F(PowerCut, ACompletionOnItsWayIsNotDelivered) {
    // The media has taken the write but its completion is still posted when the power goes.
    auto w = submit(BioOp::write, 0, 8, 1);
    clock_->advance(Duration::zero());  // reached the media, completed
    ASSERT_EQ(w->err, 0);
    bool cut_done = false;
    boost::asio::co_spawn(  // queued first: the cut runs before anything posted after it
        ctx_,
        [&]() -> boost::asio::awaitable<void> {
            survivor_ = co_await disk_->power_cut();
            cut_done = true;
        },
        boost::asio::detached);
    // No fault: straight to the media, which takes the data now and queues its completion.
    auto w2 = submit(BioOp::write, 8, 8, 2);
    clock_->run_until_idle();
    ASSERT_TRUE(cut_done);
    EXPECT_FALSE(w2->err.has_value());
    EXPECT_EQ(on_media(8, 8), pattern(8, 2));  // it was on the media: it stays
}

// A mixed run: random writes, reads and flushes under every kind at once, then a cut.
struct Outcome {
    std::vector<std::string> events;
    std::vector<std::byte> media;
    bool operator==(const Outcome&) const = default;
};

class PowerCutSeeded : public PowerCut {
public:
    Outcome run(std::uint64_t seed) {
        reset(seed);
        add("latency dist=uniform:100us-3ms");
        add("eio sectors=0-511 p=0.1");
        add("lost-unflushed p=0.5");
        add("torn-write");
        add("full after=100000");
        Rng workload(1234);  // the same I/O every run: only the faults' draws differ
        for (int i = 0; i < 200; ++i) {
            const auto pick = workload.below(10);
            const Sector sector = workload.below(1024) * 8;
            if (pick < 6)
                submit(BioOp::write, sector, 1 + workload.below(16), static_cast<unsigned char>(i));
            else if (pick < 9)
                submit(BioOp::read, sector, 8);
            else
                submit(BioOp::flush, 0, 0);
            clock_->advance(std::chrono::microseconds(workload.below(2000)));
        }
        cut();
        return {event_lines(), on_media(0, 1024 * 8 + 16)};
    }
};

TEST_F(PowerCutSeeded, TheSameSeedGivesTheSameRun) {
    const Outcome a = run(42);
    EXPECT_GT(a.events.size(), 100u);
    EXPECT_EQ(run(42), a);
    const Outcome b = run(43);
    EXPECT_NE(b.events, a.events);
    EXPECT_NE(b.media, a.media);
}

}  // namespace
}  // namespace dmemu::emu::testing
