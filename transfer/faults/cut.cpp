// SPDX-License-Identifier: GPL-2.0-only
// cut: no log server listens.
//
//   cut [for=D]
//
// Fault model: while the fault is installed, the link's CuttableCarrier (cuttable_carrier.hpp)
// is cut: every send from the kernel fails at once with -ESRCH, as cn_netlink_send does when no
// log server has joined CN_IDX_DM, and whatever the server sends towards the kernel is lost.
// The server itself is untouched and keeps its state. The kernel side: dm_consult_userspace
// logs "Unable to send log request [%u] to userspace: -3" and returns -ESRCH; CTR, DTR,
// PRESUSPEND, POSTSUSPEND, RESUME and GET_REGION_SIZE fail with it, every other request enters
// userspace_do_request's reconnect loop (every 2 s a CTR with the saved string) until the cut
// is lifted. Because the server kept its state, that CTR is then refused by cmirrord's
// duplicate check ("Log already exists", -EINVAL) and the loop goes on: pair the cut with a
// server restart (logs/userspace/log_server_connection.hpp) to model a crashed server.
//
// Per-message words (dir, type, times) do not apply: a missing listener refuses everything.
// Needs TransportFaults built with a CuttableCarrier.
#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

class CutFault final : public TransportFault {
public:
    using TransportFault::TransportFault;

    bool cuts() const override { return true; }
    void refused(const MessageInfo& info) override {
        fire(info, info.direction == Direction::to_userspace ? "send failed with -ESRCH"
                                                             : "lost: no listener");
    }
};

std::shared_ptr<TransportFault> cut_make(emu::SpecReader&, TransportFaultSetup setup) {
    return std::make_shared<CutFault>(std::move(setup));
}

}  // namespace

const TransportFaultKind cut_transport_fault{"cut", "cut", false, cut_make};

}  // namespace dmemu::transfer
