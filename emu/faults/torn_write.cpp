// SPDX-License-Identifier: GPL-2.0-only
// torn-write: a write in flight at a power cut lands in part.
//
//   torn-write [sectors=FIRST-LAST] [p=P]
//
// Fault model: a write is in flight from its submission until it reaches the media (longer with
// latency). Without this fault, a power cut loses every in-flight write whole. With it, each
// matching in-flight write tears with probability p (default 1): a seeded prefix of 1 .. n-1 of
// its n sectors lands, the rest keeps the old contents. A sector is atomic, so a one-sector
// write never tears. Layers above must not trust a multi-sector write that was never
// acknowledged (the disk log's header, a mirror region being copied).
#include "emu/faults/fault_kinds.hpp"

namespace dmemu::emu {

namespace {

class TornWriteFault final : public Fault {
public:
    TornWriteFault(IoMatch match, double p) : match_(match), p_(p) {}

    std::optional<std::uint64_t> tear(const IoView& write, Rng& rng) override {
        if (write.sectors < 2 || !match_.matches(write) || !rng.chance(p_)) return std::nullopt;
        return rng.between(1, write.sectors - 1);
    }

private:
    const IoMatch match_;
    const double p_;
};

std::unique_ptr<Fault> torn_write_make(SpecReader& spec) {
    IoMatch writes;
    writes.write = true;
    const auto match = spec.match(writes);
    const double p = spec.probability("p", 1.0);
    if (!spec.ok()) return nullptr;
    if (match.read || match.flush || match.discard) {
        spec.fail("only writes tear (op=write)");
        return nullptr;
    }
    return std::make_unique<TornWriteFault>(match, p);
}

}  // namespace

const FaultKind torn_write_fault_kind{"torn-write", "torn-write [sectors=FIRST-LAST] [p=P]",
                                      torn_write_make};

}  // namespace dmemu::emu
