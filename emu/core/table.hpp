// SPDX-License-Identifier: GPL-2.0-only
// A device-mapper table (drivers/md/dm-table.c): the targets in sector order, the devices they
// hold open, and the routing of a bio to the targets it covers.
//
// Building follows dm_table_add_target and dm_table_complete: targets are constructed in table
// order; a zero length, an unknown type, a gap or overlap ("Gap in table") or a constructor
// failure stops the build, destroys what was built (their dtr, in order) and reports the
// kernel's DMERR line. An empty table is refused as populate_table does.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <vector>

#include "emu/core/device_ref.hpp"
#include "emu/core/table_spec.hpp"
#include "emu/core/target.hpp"
#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {

class TargetRegistry;

class Table {
public:
    struct Slot {
        Sector begin;
        Sector len;
        const TargetType* type;
        std::unique_ptr<Target> target;
        std::uint64_t max_io_len;
        unsigned num_flush_bios;
        unsigned num_discard_bios;
        std::uint32_t io_opt_bytes;
        std::uint32_t io_min_bytes;
    };

    struct BuildResult {
        std::unique_ptr<Table> table;
        int error = 0;  // negative errno
    };

    // env is owned by the table from here on (its device references live as long as the table).
    static boost::asio::awaitable<BuildResult> build(std::unique_ptr<TableEnvironment> env,
                                                     const TargetRegistry& registry,
                                                     std::vector<TargetSpec> specs);
    ~Table();

    // dtr of every target, in table order. Must run (once) before the table is destroyed.
    boost::asio::awaitable<void> destroy();

    Sector size() const;
    const std::vector<Slot>& slots() const { return slots_; }
    bool read_only() const { return env_->read_only(); }
    TableEnvironment& env() const { return *env_; }
    // The target covering sector, or nullptr past the end (dm_table_find_target).
    const Slot* find(Sector sector) const;
    // The queue's optimal I/O size in bytes (queue/optimal_io_size): the targets' io_hints,
    // else the devices' below, combined with lcm (dm_calculate_queue_limits). Read-ahead
    // derives from it (MappedDevice::read_ahead_sectors).
    std::uint32_t io_opt_bytes() const;
    // The queue's minimum I/O size in bytes (queue/minimum_io_size): blk_stack_limits takes the
    // largest of the targets' io_min hints and the devices' own io_min.
    std::uint32_t io_min_bytes() const;

    // Deduplicated devices, newest first (the kernel's t->devices list, list_add order).
    const std::vector<std::shared_ptr<DeviceRef>>& devices() const { return env_->devices(); }

    // Routes a bio: splits it at target boundaries and max_io_len, maps each piece, and
    // completes the original once every piece has (first error wins). Targets that ask for
    // requeue get their piece handed to `requeue` (the mapped device holds it until resume).
    void map_bio(Bio bio, const std::function<void(Bio)>& requeue);

    // A control request using the table across a co_await (status, message) holds a Reader:
    // the kernel's dm_get_live_table/dm_put_live_table (SRCU). destroy() first waits until no
    // reader is left, as the kernel's dm_sync_table (synchronize_srcu) before dm_table_destroy:
    // a status parked in the log server's reconnect loop keeps the old table of a resume alive.
    class Reader {
    public:
        explicit Reader(Table& t) : t_(&t) { ++t_->readers_; }
        ~Reader() {
            if (t_ && --t_->readers_ == 0) t_->readers_gone_.wake_all();
        }
        Reader(Reader&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
        Reader(const Reader&) = delete;
        Reader& operator=(const Reader&) = delete;
        Reader& operator=(Reader&&) = delete;

    private:
        Table* t_;
    };
    Reader read() { return Reader(*this); }

private:
    explicit Table(std::unique_ptr<TableEnvironment> env);

    std::unique_ptr<TableEnvironment> env_;
    std::vector<Slot> slots_;
    bool destroyed_ = false;
    unsigned readers_ = 0;
    WaitQueue readers_gone_;
};

}  // namespace dmemu::emu
