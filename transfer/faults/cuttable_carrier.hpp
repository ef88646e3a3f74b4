// SPDX-License-Identifier: GPL-2.0-only
// A carrier that can be cut: wraps any Carrier (an InProcessLink end, a SeqpacketClient) and
// forwards everything while whole. While cut, the link looks like netlink with no log server
// bound to CN_IDX_DM:
//  * send() returns -ESRCH at once and nothing travels (cn_netlink_send's answer when nobody
//    listens);
//  * messages arriving for this side are dropped (the far end's replies go nowhere).
// Lifting the cut restores both; messages already in transit before the cut still arrive
// at the far end. Each refused or dropped message is reported to the refusal observer.
//
// Why a carrier and not a MessageHook: a hook runs after send() has accepted the message and
// can only decide what is delivered; the kernel-visible part of "no listener" is send()'s
// return value, which only the carrier gives. The `cut` fault kind (cut.cpp) turns this on
// through TransportFaults.
//
// The wrapped carrier must outlive this one; this one unhooks its receiver on destruction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "transfer/carriers/carrier.hpp"

namespace dmemu::transfer {

class CuttableCarrier final : public Carrier {
public:
    // direction: which way the message went (outgoing(side) for a refused send).
    using RefusalObserver = std::function<void(Direction, std::span<const std::byte>)>;

    explicit CuttableCarrier(Carrier& next, Side side = Side::kernel);
    ~CuttableCarrier() override;
    CuttableCarrier(const CuttableCarrier&) = delete;
    CuttableCarrier& operator=(const CuttableCarrier&) = delete;

    int send(std::vector<std::byte> message) override;
    void set_receiver(Receiver receiver) override;

    void set_cut(bool cut) { cut_ = cut; }
    bool is_cut() const { return cut_; }
    void set_refusal_observer(RefusalObserver fn) { on_refused_ = std::move(fn); }
    // Messages refused (sends) and dropped (deliveries) while cut.
    std::uint64_t refused() const { return refused_; }

private:
    void refuse(Direction direction, std::span<const std::byte> message);

    Carrier& next_;
    Side side_;
    bool cut_ = false;
    bool receiving_ = false;
    Receiver receiver_;
    RefusalObserver on_refused_;
    std::uint64_t refused_ = 0;
};

}  // namespace dmemu::transfer
