// SPDX-License-Identifier: GPL-2.0-only
// drop: a message is lost in transit.
//
//   drop [p=P] [dir=to-server|to-kernel|both] [type=TYPE,...] [times=N]     (p default 1)
//
// Fault model: each selected message is lost with probability p, as netlink may lose a
// datagram (a full socket buffer); nothing tells either side. A lost request or reply leaves the
// kernel's waiter without an answer: after 15 s dm_consult_userspace warns "[%s] Request timed
// out: [%u/%u] - retrying" and resends with a fresh seq. A lost request never reached the
// server; a lost reply means the server acted and the kernel asks again, so the server must
// take the resend of a request it already applied (MARK_REGION twice, RESUME twice).
#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

class DropFault final : public TransportFault {
public:
    DropFault(TransportFaultSetup setup, double p) : TransportFault(std::move(setup)), p_(p) {}

protected:
    void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        if (!rng().chance(p_)) {
            forward(std::move(message));
            return;
        }
        fire(info, "dropped");
    }

private:
    const double p_;
};

std::shared_ptr<TransportFault> drop_make(emu::SpecReader& spec, TransportFaultSetup setup) {
    const double p = spec.probability("p", 1.0);
    if (!spec.ok()) return nullptr;
    return std::make_shared<DropFault>(std::move(setup), p);
}

}  // namespace

const TransportFaultKind drop_transport_fault{"drop", "drop [p=P]", true, drop_make};

}  // namespace dmemu::transfer
