// SPDX-License-Identifier: GPL-2.0-only
// The record of every write a scenario issued, per device, and what each sector may hold now.
//
// A sector no scenario write touched may hold anything (a new extent holds what was there
// before): it is not checked. Once writes touch it, it may hold the data of:
//  * the last write acknowledged on it, and any write that overlapped it in time (in flight
//    together, so either may have landed last);
//  * any write still in flight on it (it may or may not have reached the media);
//  * a failed write, or what was there before it (a failed write may land or not);
//  * what it held before the scenario wrote, until a write to it is acknowledged.
// `expect data-intact` reads the device and checks every sector against this, so it tolerates
// the ambiguity of concurrent I/O and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "emu/io/bio.hpp"
#include "emu/sim/pattern.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::scenario {

struct WriteRecord {
    std::uint32_t id = 0;
    std::string device;
    emu::Sector sector = 0;
    std::uint64_t sectors = 0;
    std::string origin;  // "line 12", "bg.w0", ...
    std::uint64_t submit_seq = 0;
    std::uint64_t end_seq = 0;  // 0 while in flight
    int error = 0;
    bool lost = false;  // in flight at a power cut
    emu::TimePoint submitted{};
};

struct DeviceIoCounts {
    std::uint64_t writes = 0, acked = 0, failed = 0, reads = 0, read_errors = 0;
    std::uint64_t lost = 0;  // in flight at a power cut: never completed
    std::uint64_t pending() const { return writes - acked - failed - lost; }
};

class DataModel {
public:
    explicit DataModel(std::uint64_t seed) : seed_(seed) {}

    std::uint64_t seed() const { return seed_; }
    // A new write's id; its buffer is then filled with fill_sector(seed, id, sector + i).
    std::uint32_t begin_write(const std::string& device, emu::Sector sector, std::uint64_t sectors,
                              std::string origin, emu::TimePoint now);
    void end_write(std::uint32_t id, int error);
    // A power cut: every write in flight is lost, not failed (it never completes; each of its
    // sectors may or may not have reached the media). Acknowledged writes are durable, unless
    // `cache_lost` (a disk held acknowledged writes in a volatile cache at the cut): then which
    // of them survived is the cache's choice, and the sectors written so far are no longer
    // checked (as sectors never written are not) until the next write to each is acknowledged.
    void power_cut(bool cache_lost);
    void count_read(const std::string& device, int error);
    const WriteRecord& write(std::uint32_t id) const { return writes_.at(id - 1); }

    // The contents a sector may hold now (write ids; 0 = whatever it held before any write).
    std::vector<std::uint32_t> allowed(const std::string& device, emu::Sector sector) const;
    bool accepts(const std::string& device, emu::Sector sector, const SectorContent& c) const;
    // For a read submitted at since_seq: what the sector may have held at any moment between
    // then and now.
    std::uint64_t sequence() const { return seq_; }
    bool accepts_since(const std::string& device, emu::Sector sector, const SectorContent& c,
                       std::uint64_t since_seq) const;

    const DeviceIoCounts& counts(const std::string& device) const;
    // "write #12 (line 30, 8 sectors at 4096, acked)" for messages.
    std::string describe(std::uint32_t id) const;
    std::string describe_allowed(const std::string& device, emu::Sector sector) const;

private:
    struct SectorState {
        std::vector<std::uint32_t> allowed{0};
        std::vector<std::uint32_t> inflight;
        std::vector<std::uint32_t> history;  // every write submitted here, the last few
    };
    using DeviceSectors = std::unordered_map<emu::Sector, SectorState>;
    const SectorState* find(const std::string& device, emu::Sector sector) const;

    std::uint64_t seed_;
    std::uint64_t seq_ = 0;
    std::vector<WriteRecord> writes_;
    std::map<std::string, DeviceSectors> devices_;
    std::map<std::string, DeviceIoCounts> counts_;
};

}  // namespace dmemu::scenario
