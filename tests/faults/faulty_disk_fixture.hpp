// SPDX-License-Identifier: GPL-2.0-only
// A FaultyDisk "d0" over a 64 MiB MemoryDisk on a virtual clock with a chosen seed, with helpers
// to install faults, submit bios and watch their completions while time is stepped by hand, and
// cut the power. Every fault event is kept in events_.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emu/faults/faulty_disk.hpp"
#include "emu/io/memory_disk.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/rng.hpp"
#include "tests/io/pending_bio.hpp"

namespace dmemu::emu::testing {

class FaultyDiskFixture : public ::testing::Test {
protected:
    static constexpr Sector kSectors = 131072;

    FaultyDiskFixture() { reset(1); }

    // A fresh disk (zeros), clock at 0 and no faults, drawing from `seed`.
    void reset(std::uint64_t seed) {
        disk_.reset();
        survivor_.reset();
        events_.clear();
        rng_ = std::make_unique<Rng>(seed);
        clock_ = std::make_unique<VirtualClock>(ctx_);
        auto media = std::make_unique<MemoryDisk>(ctx_, kSectors);
        media_ = media.get();
        disk_ = std::make_unique<FaultyDisk>("d0", std::move(media), *clock_, *rng_);
        disk_->subscribe([this](const FaultEvent& e) { events_.push_back(e); });
    }

    FaultId add(const std::string& spec) {
        std::string error;
        const auto id = disk_->add_fault(spec, &error);
        EXPECT_TRUE(id.has_value()) << spec << ": " << error;
        return id.value_or(0);
    }

    static std::vector<std::byte> pattern(Sector sectors, unsigned char seed) {
        return test_pattern(sectors, seed);
    }
    std::vector<std::byte> on_media(Sector sector, Sector sectors) const {
        std::vector<std::byte> out(sectors * kSectorSize);
        media_->read_now(sector, out.data(), out.size());
        return out;
    }
    void fill_media(Sector sector, Sector sectors, unsigned char seed) {
        auto buf = pattern(sectors, seed);
        media_->write_now(sector, buf.data(), buf.size());
    }

    using Pending = PendingBio;
    std::shared_ptr<Pending> submit(BioOp op, Sector sector, Sector sectors, unsigned char seed = 0,
                                    bool fua = false) {
        return submit_pending(*disk_, *clock_, op, sector, sectors, seed, fua);
    }
    // Submits and runs until idle (moving virtual time as far as needed); returns the error.
    int io(BioOp op, Sector sector, Sector sectors, std::vector<std::byte>* buf = nullptr,
           unsigned char seed = 0, bool fua = false) {
        auto p = submit(op, sector, sectors, seed, fua);
        clock_->run_until_idle();
        if (buf) *buf = p->buf;
        return p->err.value_or(1);
    }

    // Cuts the power now; returns the media as it survived (kept in survivor_), or nullptr.
    BlockDevice* cut() {
        std::unique_ptr<BlockDevice> out;
        bool done = false;
        boost::asio::co_spawn(
            ctx_,
            [&]() -> boost::asio::awaitable<void> {
                out = co_await disk_->power_cut();
                done = true;
            },
            boost::asio::detached);
        clock_->advance(Duration::zero());
        EXPECT_TRUE(done) << "power_cut did not finish";
        if (!out) return nullptr;
        survivor_ = std::move(out);
        return survivor_.get();
    }

    std::vector<std::string> event_lines() const {
        std::vector<std::string> out;
        for (const auto& e : events_) out.push_back(to_string(e));
        return out;
    }
    std::size_t events_of(const std::string& kind) const {
        std::size_t n = 0;
        for (const auto& e : events_) n += e.kind == kind;
        return n;
    }

    boost::asio::io_context ctx_;
    std::unique_ptr<VirtualClock> clock_;
    std::unique_ptr<Rng> rng_;
    MemoryDisk* media_ = nullptr;  // owned by disk_ until a power cut hands it to survivor_
    std::unique_ptr<BlockDevice> survivor_;
    std::unique_ptr<FaultyDisk> disk_;
    std::vector<FaultEvent> events_;
};

}  // namespace dmemu::emu::testing
