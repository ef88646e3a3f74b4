// SPDX-License-Identifier: GPL-2.0-only
// eio: I/O error on a sector range.
//
//   eio [sectors=FIRST-LAST] [op=LIST] [p=P] [sticky]        (op default both: reads and writes)
//
// Fault model: a matching bio fails with -EIO before it reaches the media (nothing of a failed
// write lands). Transient (the default): every matching bio fails independently with
// probability p (default 1), so a retry may succeed. Sticky: once a bio has failed, the sectors
// it touched inside the range have gone bad and every later matching bio touching any of them
// fails, whatever p says (a medium error that does not heal); for op=flush, every later flush.
// Layers above must survive failed reads (mirror: read another leg) and failed writes (mirror:
// mark the leg failed).
#include <cerrno>

#include "emu/faults/fault_kinds.hpp"
#include "emu/faults/sector_set.hpp"

namespace dmemu::emu {

namespace {

class EioFault final : public Fault {
public:
    EioFault(IoMatch match, double p, bool sticky) : match_(match), p_(p), sticky_(sticky) {}

    int admit(const IoView& io, Rng& rng) override {
        if (!match_.matches(io)) return 0;
        const SectorRange part = match_.overlap(io);
        if (sticky_ && (io.op == BioOp::flush ? flush_bad_ : bad_.intersects(part.begin, part.end)))
            return -EIO;
        if (!rng.chance(p_)) return 0;
        if (sticky_) {
            if (io.op == BioOp::flush)
                flush_bad_ = true;
            else
                bad_.insert(part.begin, part.end);
        }
        return -EIO;
    }

private:
    const IoMatch match_;
    const double p_;
    const bool sticky_;
    SectorSet bad_;
    bool flush_bad_ = false;
};

std::unique_ptr<Fault> eio_make(SpecReader& spec) {
    IoMatch data_io;
    data_io.read = data_io.write = true;
    const IoMatch match = spec.match(data_io);
    const double p = spec.probability("p", 1.0);
    const bool sticky = spec.flag("sticky");
    if (!spec.ok()) return nullptr;
    return std::make_unique<EioFault>(match, p, sticky);
}

}  // namespace

const FaultKind eio_fault_kind{"eio", "eio [sectors=FIRST-LAST] [op=LIST] [p=P] [sticky]",
                               eio_make};

}  // namespace dmemu::emu
