// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/mapped_device.hpp"

#include <fmt/format.h>

#include <cerrno>

#include "emu/io/complete.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

MappedDevice::MappedDevice(asio::io_context& ctx, std::string name, std::string uuid, DevT devt)
    : ctx_(ctx),
      name_(std::move(name)),
      uuid_(std::move(uuid)),
      devt_(devt),
      event_waiters_(ctx.get_executor()),
      lock_(ctx) {}

MappedDevice::~MappedDevice() {
    // Held bios of a removed device fail as the kernel fails them on __dm_destroy.
    for (auto& bio : held_) complete_later(ctx_, bio, -EIO);
}

std::string MappedDevice::disk_name() const { return fmt::format("dm-{}", devt_.minor); }

void MappedDevice::table_event(const TableEnvironment* from) {
    if (live_ && &live_->env() == from) raise_event();
}

void MappedDevice::raise_event() {
    ++event_nr_;
    event_waiters_.wake_all();
}

asio::awaitable<void> MappedDevice::wait_event(std::uint32_t seen) {
    while (event_nr_ == seen) co_await event_waiters_.wait();
}

bool MappedDevice::supports_discard() const {
    if (!live_) return false;
    for (const auto& s : live_->slots())
        if (s.num_discard_bios == 0) return false;
    return true;
}

std::uint32_t MappedDevice::physical_block_size() const {
    // blk_stack_limits: the largest physical block size of the devices below.
    std::uint32_t pbs = 512;
    if (live_)
        for (const auto& dev : live_->devices())
            pbs = std::max(pbs, dev->device().physical_block_size());
    return pbs;
}

std::uint32_t MappedDevice::read_ahead_sectors() const {
    // max(2 * io_opt, VM_READAHEAD_PAGES = 128 KiB), in 512-byte sectors.
    const std::uint64_t from_opt = 2ull * io_opt_bytes() / kSectorSize;
    return static_cast<std::uint32_t>(std::max<std::uint64_t>(from_opt, 256));
}

std::optional<FileExtent> MappedDevice::file_extent(Sector sector, std::uint64_t sectors,
                                                    BioOp op) {
    if (!live_ || block_io_ || sectors == 0 || (op == BioOp::write && read_only_))
        return std::nullopt;
    const Table::Slot* slot = live_->find(sector);
    if (!slot || sectors > slot->begin + slot->len - sector) return std::nullopt;
    // A bio that map_bio would split at max_io_len goes to more than one place.
    const Sector offset = sector - slot->begin;
    if (slot->max_io_len != 0 && offset % slot->max_io_len + sectors > slot->max_io_len)
        return std::nullopt;
    auto ext = slot->target->file_extent(offset, sectors, op);
    if (!ext || !ext->add_layer(shared_from_this())) return std::nullopt;
    return ext;
}

void MappedDevice::io_ended() {
    --in_flight_;
    if (in_flight_ == 0 && drained_) drained_->set();
}

void MappedDevice::submit(Bio bio) {
    if (block_io_) {
        held_.push_back(std::move(bio));
        return;
    }
    dispatch(std::move(bio));
}

void MappedDevice::dispatch(Bio bio) {
    if (!live_) {
        complete_later(ctx_, bio, -EIO);
        return;
    }
    if (reject_beyond_end(ctx_, bio, live_->size())) return;
    if (bio.op == BioOp::write && read_only_) {
        complete_later(ctx_, bio, -EROFS);
        return;
    }
    io_started();
    bio.done = [this, done = std::move(bio.done)](int err) {
        io_ended();
        done(err);
    };
    live_->map_bio(std::move(bio), [this](Bio piece) {
        // DM_MAPIO_REQUEUE: the piece waits for the next resume, like a held bio.
        held_.push_back(std::move(piece));
    });
}

asio::awaitable<void> MappedDevice::suspend(bool /*noflush*/) {
    if (suspended_) co_return;
    if (live_)
        for (auto& s : live_->slots()) co_await s.target->presuspend();
    block_io_ = true;
    if (in_flight_ > 0) {
        drained_ = std::make_shared<AsyncEvent>(ctx_);
        auto event = drained_;
        co_await event->wait();
        drained_.reset();
    }
    if (live_)
        for (auto& s : live_->slots()) co_await s.target->postsuspend();
    suspended_ = true;
}

std::unique_ptr<Table> MappedDevice::swap_tables() {
    auto old = std::move(live_);
    live_ = std::move(inactive_);
    read_only_ = live_ && live_->read_only();
    return old;
}

asio::awaitable<int> MappedDevice::resume() {
    if (!suspended_) co_return 0;
    if (live_) {
        for (auto& s : live_->slots()) {
            const int r = co_await s.target->preresume();
            if (r != 0) co_return r;
        }
        for (auto& s : live_->slots()) co_await s.target->resume();
    }
    suspended_ = false;
    block_io_ = false;
    release_held();
    co_return 0;
}

void MappedDevice::release_held() {
    std::deque<Bio> held;
    held.swap(held_);
    for (auto& bio : held) dispatch(std::move(bio));
}

std::unique_ptr<Table> MappedDevice::take_live() {
    read_only_ = false;
    return std::move(live_);
}

}  // namespace dmemu::emu
