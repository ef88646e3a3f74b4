// SPDX-License-Identifier: GPL-2.0-only
// A disk with block faults: wraps any BlockDevice (the "media": a MemoryDisk, a FileDisk) and
// passes I/O through a pipeline whose stages installed faults act in (fault.hpp). With no
// fault installed it only forwards.
//
// Pipeline of one bio:
//   1. admit  the first fault that fails it (eio, full) completes it with -errno; nothing lands
//   2. delay  the sum of the faults' delays (latency) on the Clock; until the bio reaches the
//             media it is in flight
//   3. media  reads come from the media, with cached writes laid over them; a write goes to
//             the media, or, while a fault caches writes (lost-unflushed) and it is not FUA, into
//             the volatile write cache and is acknowledged; a flush writes the cache back (in
//             order) and then flushes the media; discards and FUA writes go to the media and
//             supersede cached data under them
// A write counts as on the media once submitted to it: MemoryDisk and FileDisk take the data at
// submit, so the media must be a disk like them, not a stack with delays of its own.
//
// Power cut (power_cut()): the disk stops. Bios in flight never complete and never reach the
// media, except that a torn-write fault may let a prefix of an in-flight write land; each
// cached write is kept or lost as the caching fault decides; the survivors land in write order,
// then the torn prefixes. What the media holds then is everything durable: flushed data, FUA
// writes and acknowledged writes while nothing cached them always survive. power_cut() hands the
// media over, so a scenario can start a new emulator on it. Afterwards no completion of an
// earlier bio is delivered (the machine they belonged to is off) and new bios fail with -EIO.
//
// Every firing is reported to the observers with the virtual time (fault_event.hpp) and counted
// per fault (faults()). Randomness: the disk's stream is the run's Rng stream "fault/<disk>",
// each fault's is that stream's "<id>", so the same seed and the same steps give the same run.
// All calls on the loop thread.
#pragma once

#include "emu/faults/fault.hpp"
#include "emu/faults/fault_event.hpp"
#include "emu/faults/fault_kinds.hpp"
#include "emu/faults/write_cache.hpp"
#include "emu/io/block_device.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/rng.hpp"

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
#include <boost/asio/awaitable.hpp>
// clang-format on
#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::emu {

class FaultyDisk final : public BlockDevice {
public:
    struct FaultInfo {
        FaultId id;
        std::string kind;
        std::string spec;     // as given
        std::uint64_t fired;  // how many times it acted
    };

    FaultyDisk(std::string name, std::unique_ptr<BlockDevice> media, Clock& clock,
               const Rng& run_rng);
    ~FaultyDisk() override;
    FaultyDisk(const FaultyDisk&) = delete;
    FaultyDisk& operator=(const FaultyDisk&) = delete;

    const std::string& name() const { return name_; }
    // The disk under the faults (tests read it directly); valid until power_cut() hands it over.
    BlockDevice& media() const { return *media_; }

    // Parses and installs a fault ("eio sectors=100-199 op=write"); on a bad spec installs
    // nothing, returns nullopt and sets *error ("fault: ...").
    std::optional<FaultId> add_fault(std::string_view spec, std::string* error);
    // Removing the last fault that caches writes writes the cache back to the media.
    bool remove_fault(FaultId id);
    void clear_faults();
    std::vector<FaultInfo> faults() const;
    void subscribe(FaultObserver fn) { observers_.push_back(std::move(fn)); }

    // Cuts the power (see the head comment) and returns the media with what it durably holds;
    // nullptr if the power was already cut.
    boost::asio::awaitable<std::unique_ptr<BlockDevice>> power_cut();
    bool powered() const { return powered_; }
    // Bios submitted and not yet on the media (or failed, or cached).
    std::size_t in_flight() const { return in_flight_.size(); }
    // Acknowledged writes still only in the volatile cache.
    std::size_t unflushed_writes() const { return cache_.writes(); }

    // BlockDevice
    Sector size_sectors() const override { return sectors_; }
    void submit(Bio bio) override;
    bool supports_discard() const override { return supports_discard_; }
    std::uint32_t io_opt_bytes() const override { return io_opt_bytes_; }
    std::uint32_t physical_block_size() const override { return physical_block_size_; }
    // The media's extent while the disk only forwards (powered, no fault, nothing cached).
    std::optional<FileExtent> file_extent(Sector sector, std::uint64_t sectors, BioOp op) override;

private:
    struct Installed {
        FaultId id;
        const FaultKind* kind;
        std::string spec;
        std::unique_ptr<Fault> fault;
        Rng rng;
        std::uint64_t fired = 0;
    };
    struct InFlight {
        Bio bio;
        std::optional<TimerId> timer;
    };
    // Data a power cut lets land on the media.
    struct Landing {
        Sector sector;
        std::vector<std::byte> data;
    };

    void reach_media(std::uint64_t io_id);
    void read_at_media(Bio bio);
    void write_through(Bio bio);
    void flush_at_media(Bio bio);
    // Power cut: the prefixes of in-flight writes torn-write lets land (the rest is lost), and
    // the cached writes the caching faults keep, in write order.
    std::vector<Landing> torn_in_flight();
    std::vector<Landing> cached_survivors();
    // Writes every cached write to the media in order; `then` gets the first error.
    void destage(BioDone then);
    bool caching() const;
    void fire(Installed& f, Sector sector, std::uint64_t sectors, std::string what);
    void report(std::string kind, FaultId id, Sector sector, std::uint64_t sectors,
                std::string what);
    // A completion that is dropped once the power is cut or the disk is gone.
    BioDone guarded(BioDone done);

    std::string name_;
    std::unique_ptr<BlockDevice> media_;
    Clock& clock_;
    Rng rng_;
    const Sector sectors_;
    const bool supports_discard_;
    const std::uint32_t io_opt_bytes_;
    const std::uint32_t physical_block_size_;
    std::vector<Installed> faults_;  // install order: the order hooks are asked in
    FaultId next_fault_id_ = 1;
    std::map<std::uint64_t, InFlight> in_flight_;  // by submission order
    std::uint64_t next_io_id_ = 1;
    WriteCache cache_;
    std::vector<FaultObserver> observers_;
    bool powered_ = true;
    std::shared_ptr<int> life_ = std::make_shared<int>(0);  // callbacks hold it weakly
};

}  // namespace dmemu::emu
