// SPDX-License-Identifier: GPL-2.0-only
// duplicate: a message arrives twice.
//
//   duplicate [p=P] [dir=to-server|to-kernel|both] [type=TYPE,...] [times=N]   (p default 1)
//
// Fault model: each selected message is delivered, then delivered again right after it. A
// duplicated request is handled twice by the server (it must survive a repeated MARK_REGION,
// CTR or DTR: cmirrord answers a second CTR with "Log already exists" and -EINVAL); both
// replies carry the same seq, the kernel takes the first and drops the second silently
// (fill_pkg finds no waiter). A duplicated reply is dropped the same way.
#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

class DuplicateFault final : public TransportFault {
public:
    DuplicateFault(TransportFaultSetup setup, double p) : TransportFault(std::move(setup)), p_(p) {}

protected:
    void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        if (rng().chance(p_)) {
            fire(info, "duplicated");
            forward(message);
        }
        forward(std::move(message));
    }

private:
    const double p_;
};

std::shared_ptr<TransportFault> duplicate_make(emu::SpecReader& spec, TransportFaultSetup setup) {
    const double p = spec.probability("p", 1.0);
    if (!spec.ok()) return nullptr;
    return std::make_shared<DuplicateFault>(std::move(setup), p);
}

}  // namespace

const TransportFaultKind duplicate_transport_fault{"duplicate", "duplicate [p=P]", true,
                                                   duplicate_make};

}  // namespace dmemu::transfer
