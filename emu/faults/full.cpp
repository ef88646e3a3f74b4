// SPDX-License-Identifier: GPL-2.0-only
// full: the device runs out of space (-ENOSPC on writes).
//
//   full at=SECTOR        writes touching SECTOR or beyond fail: the usable space ends there
//   full after=SECTORS    thin-pool style: the first SECTORS distinct sectors written are
//                         allocated; rewriting allocated sectors works, a write that needs more
//                         fails whole
//
// Fault model: a failing write fails before it reaches the media, nothing of it lands; reads,
// flushes and discards pass. Layers above must report the error rather than lose the write
// silently (a mirror leg that returns -ENOSPC fails like one that returns -EIO).
#include <cerrno>

#include "emu/faults/fault_kinds.hpp"
#include "emu/faults/sector_set.hpp"

namespace dmemu::emu {

namespace {

class FullFault final : public Fault {
public:
    FullFault(std::optional<Sector> at, std::optional<std::uint64_t> after)
        : at_(at), after_(after) {}

    int admit(const IoView& io, Rng&) override {
        if (io.op != BioOp::write) return 0;
        if (at_) return io.end() > *at_ ? -ENOSPC : 0;
        const std::uint64_t fresh = io.sectors - allocated_.covered(io.sector, io.end());
        if (allocated_.size() + fresh > *after_) return -ENOSPC;
        allocated_.insert(io.sector, io.end());
        return 0;
    }

private:
    const std::optional<Sector> at_;
    const std::optional<std::uint64_t> after_;
    SectorSet allocated_;
};

std::unique_ptr<Fault> full_make(SpecReader& spec) {
    const auto at = spec.number("at");
    const auto after = spec.number("after");
    if (!spec.ok()) return nullptr;
    if (at.has_value() == after.has_value()) {
        spec.fail("needs exactly one of at=SECTOR or after=SECTORS");
        return nullptr;
    }
    return std::make_unique<FullFault>(at, after);
}

}  // namespace

const FaultKind full_fault_kind{"full", "full at=SECTOR | after=SECTORS", full_make};

}  // namespace dmemu::emu
