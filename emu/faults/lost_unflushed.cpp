// SPDX-License-Identifier: GPL-2.0-only
// lost-unflushed: the disk has a volatile write cache, and a power cut may lose what was not
// flushed (LazyFS's model).
//
//   lost-unflushed [p=P]
//
// Fault model: while installed, a write is acknowledged once it is in the disk's cache, not on
// the media; reads see it. A completed flush makes every write acknowledged before it durable;
// a FUA write goes to the media before it is acknowledged (and supersedes cached data under
// it). At a power cut each cached, unflushed write is lost with probability p (default 1), the
// decision drawn per write from the seed, oldest first; survivors land in their original order.
// Removing the fault writes the cache back first. Layers above must flush (or use FUA) before
// they count on a write: a disk log's header, a mirror's region marks.
#include "emu/faults/fault_kinds.hpp"

namespace dmemu::emu {

namespace {

class LostUnflushedFault final : public Fault {
public:
    explicit LostUnflushedFault(double p) : p_(p) {}

    bool caches_writes() const override { return true; }
    bool loses_unflushed(const IoView&, Rng& rng) override { return rng.chance(p_); }

private:
    const double p_;
};

std::unique_ptr<Fault> lost_unflushed_make(SpecReader& spec) {
    const double p = spec.probability("p", 1.0);
    if (!spec.ok()) return nullptr;
    return std::make_unique<LostUnflushedFault>(p);
}

}  // namespace

const FaultKind lost_unflushed_fault_kind{"lost-unflushed", "lost-unflushed [p=P]",
                                          lost_unflushed_make};

}  // namespace dmemu::emu
