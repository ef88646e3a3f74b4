// SPDX-License-Identifier: GPL-2.0-only
// A mapped device (drivers/md/dm.c struct mapped_device): name, uuid, dev_t, the live and
// inactive table slots, the suspend state, open count and event number, and the I/O gate.
//
// I/O: while the device is suspended (after presuspend, until resume) new bios are held, not
// failed, and are re-routed through the new live table on resume. Suspend waits for the bios in
// flight. A device with no live table fails I/O with -EIO.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "emu/core/table.hpp"
#include "emu/util/async_mutex.hpp"
#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

class MappedDevice final : public BlockDevice,
                           public InFlightCounter,
                           public std::enable_shared_from_this<MappedDevice> {
public:
    MappedDevice(boost::asio::io_context& ctx, std::string name, std::string uuid, DevT devt);
    ~MappedDevice() override;

    const std::string& name() const { return name_; }
    const std::string& uuid() const { return uuid_; }
    DevT devt() const { return devt_; }
    // The kernel's disk name, "dm-<minor>".
    std::string disk_name() const;
    void set_name(std::string n) { name_ = std::move(n); }
    void set_uuid(std::string u) { uuid_ = std::move(u); }

    Table* live() const { return live_.get(); }
    Table* inactive() const { return inactive_.get(); }
    bool suspended() const { return suspended_; }
    bool read_only() const { return read_only_; }
    std::uint32_t open_count() const { return open_count_; }
    std::uint32_t event_nr() const { return event_nr_; }
    std::size_t in_flight() const { return in_flight_; }
    std::size_t held() const { return held_.size(); }

    void open() { ++open_count_; }
    void close() { --open_count_; }
    // dm_table_event() from table t: counts only while t is live (the event callback is bound
    // to the live table).
    void table_event(const TableEnvironment* from);
    void raise_event();
    // dm_wait_event: returns once event_nr() differs from `seen` (DM_DEV_WAIT).
    boost::asio::awaitable<void> wait_event(std::uint32_t seen);

    // HDIO_GETGEO's answer, set by DM_DEV_SET_GEOMETRY (struct hd_geometry).
    struct Geometry {
        std::uint32_t cylinders = 0;  // at most 65535
        std::uint32_t heads = 0;      // at most 255
        std::uint32_t sectors = 0;    // at most 255
        std::uint64_t start = 0;      // in sectors
    };
    const Geometry& geometry() const { return geometry_; }
    void set_geometry(const Geometry& g) { geometry_ = g; }

    // Control operations (the caller holds lock_mutex()).
    AsyncMutex& lock_mutex() { return lock_; }
    std::unique_ptr<Table> take_inactive() { return std::move(inactive_); }
    void set_inactive(std::unique_ptr<Table> t) { inactive_ = std::move(t); }
    // __dm_suspend: presuspend, hold new I/O, wait for in-flight, postsuspend.
    boost::asio::awaitable<void> suspend(bool noflush);
    // dm_swap_table: the inactive table becomes live; returns the old live table.
    std::unique_ptr<Table> swap_tables();
    // dm_resume: preresume (may fail: the device stays suspended), resume, release held I/O.
    boost::asio::awaitable<int> resume();
    // Unbinds the live table (remove).
    std::unique_ptr<Table> take_live();

    // BlockDevice
    Sector size_sectors() const override { return live_ ? live_->size() : 0; }
    void submit(Bio bio) override;
    bool supports_discard() const override;
    std::uint32_t io_opt_bytes() const override { return live_ ? live_->io_opt_bytes() : 0; }
    std::uint32_t physical_block_size() const override;
    std::uint32_t io_min_bytes() const override {
        return live_ ? live_->io_min_bytes() : physical_block_size();
    }
    // While I/O flows (a live table, not suspended, writable for a write), the extent the one
    // target covering the whole range offers (Target::file_extent), with this device among its
    // layers.
    std::optional<FileExtent> file_extent(Sector sector, std::uint64_t sectors, BioOp op) override;
    // InFlightCounter: a Bio dispatched, or I/O from a file extent (suspend waits for both).
    void io_started() override { ++in_flight_; }
    void io_ended() override;
    // Read-ahead in sectors as BLKRAGET reports it (disk_update_readahead).
    std::uint32_t read_ahead_sectors() const;

private:
    void dispatch(Bio bio);
    void release_held();

    boost::asio::io_context& ctx_;
    std::string name_;
    std::string uuid_;
    DevT devt_;
    std::unique_ptr<Table> live_;
    std::unique_ptr<Table> inactive_;
    bool suspended_ = false;
    bool block_io_ = false;
    bool read_only_ = false;
    std::uint32_t open_count_ = 0;
    std::uint32_t event_nr_ = 0;
    std::size_t in_flight_ = 0;
    std::deque<Bio> held_;
    Geometry geometry_;
    WaitQueue event_waiters_;
    std::shared_ptr<AsyncEvent> drained_;  // set when in_flight_ drops to 0 during suspend
    AsyncMutex lock_;
};

}  // namespace dmemu::emu
