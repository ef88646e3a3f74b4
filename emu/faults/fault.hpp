// SPDX-License-Identifier: GPL-2.0-only
// One installed block fault: the stages of a FaultyDisk's pipeline it takes part in.
//
// A fault kind (one file each: eio.cpp, latency.cpp, ...) overrides the hooks of the stage it
// acts in and leaves the others forwarding, so the happy path is "nothing happens":
//   admit            fail the bio now with -errno (eio, full), or 0 to let it through
//   delay            time to add before the bio reaches the media (latency)
//   caches_writes    while any installed fault says so, acknowledged writes stay in a volatile
//                    cache until a flush (lost-unflushed)
//   loses_unflushed  at a power cut, whether a cached, unflushed write is lost (lost-unflushed)
//   tear             at a power cut, how many leading sectors of an in-flight write land
//                    (torn-write)
// Every decision that involves chance draws from the Rng the disk hands in: the fault's own
// stream, derived from the run's seed, the disk name and the fault's id.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "emu/io/bio.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/rng.hpp"

namespace dmemu::emu {

// The parts of a bio a fault may look at.
struct IoView {
    BioOp op;
    Sector sector;
    std::uint64_t sectors;
    bool fua;
    Sector end() const { return sector + sectors; }
};

// Half-open [begin, end) in 512-byte sectors; the spec writes it inclusive ("sectors=100-199").
struct SectorRange {
    Sector begin = 0;
    Sector end = 0;
};

// Which bios a fault applies to: a set of operations and an optional sector range. A flush has
// no sectors: a range never excludes it.
struct IoMatch {
    bool read = false, write = false, flush = false, discard = false;
    std::optional<SectorRange> range;

    bool has_op(BioOp op) const {
        switch (op) {
            case BioOp::read:
                return read;
            case BioOp::write:
                return write;
            case BioOp::flush:
                return flush;
            case BioOp::discard:
                return discard;
        }
        return false;
    }
    bool matches(const IoView& io) const {
        if (!has_op(io.op)) return false;
        if (!range || io.op == BioOp::flush) return true;
        return io.sector < range->end && range->begin < io.end();
    }
    // The part of the bio inside the range (the whole bio without a range).
    SectorRange overlap(const IoView& io) const {
        if (!range) return {io.sector, io.end()};
        return {std::max(io.sector, range->begin), std::min(io.end(), range->end)};
    }
};

class Fault {
public:
    virtual ~Fault() = default;
    virtual int admit(const IoView&, Rng&) { return 0; }
    virtual Duration delay(const IoView&, Rng&) { return Duration::zero(); }
    virtual bool caches_writes() const { return false; }
    virtual bool loses_unflushed(const IoView&, Rng&) { return false; }
    virtual std::optional<std::uint64_t> tear(const IoView&, Rng&) { return std::nullopt; }
};

}  // namespace dmemu::emu
