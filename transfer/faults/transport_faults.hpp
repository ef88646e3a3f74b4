// SPDX-License-Identifier: GPL-2.0-only
// The transport faults installed on one ulog link: what a scenario step or a fault plan adds,
// lists and removes. It appends one dispatching hook to the link's HookChain at construction,
// and every fault added runs inside that hook, in the order added; other hooks on the chain are
// left alone. The dispatching hook stays on the chain (a HookChain has no remove) and only
// forwards once this object is gone.
//
//   TransportFaults faults("ulog", server.link().hooks(), clock, run_rng, &cuttable);
//   std::string error;
//   auto id = faults.add("drop p=0.05 dir=to-server", &error);   // nullopt + error if bad
//   faults.subscribe([&](const TransportFaultEvent& e) { trace(to_string(e)); });
//   faults.list();  faults.remove(*id);  faults.clear();
//
// Spec syntax: transport_fault_kinds.hpp; kinds: one file each in this folder; docs/faults.md.
//
// Randomness: the link's stream is the run's Rng stream "transport/<link>", each fault's is
// that stream's "<id>": the same seed, the same faults added in the same order and the same
// traffic give the same firings.
//
// `cut` needs the CuttableCarrier the kernel side sends through (it must outlive this object;
// destroying this object lifts the cut). Without one, adding a cut fails.
//
// Removing a fault (remove, clear, for=D expiry, destruction) hands on anything it holds
// (reorder) at once; messages a delay fault already scheduled are in the network and still
// arrive. All calls on the loop thread. The Clock must outlive this object.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/rng.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/faults/cuttable_carrier.hpp"
#include "transfer/faults/transport_fault.hpp"

namespace dmemu::transfer {

class TransportFaults {
public:
    struct FaultInfo {
        TransportFaultId id;
        std::string kind;
        std::string spec;     // as given
        std::uint64_t fired;  // times it acted
    };

    TransportFaults(std::string link, HookChain& chain, emu::Clock& clock, const emu::Rng& run_rng,
                    CuttableCarrier* cuttable = nullptr);
    ~TransportFaults();
    TransportFaults(const TransportFaults&) = delete;
    TransportFaults& operator=(const TransportFaults&) = delete;

    // Parses and installs a fault; on a bad spec installs nothing, returns nullopt and sets
    // *error ("fault: ..."). Ids start at 1 and are never reused.
    std::optional<TransportFaultId> add(std::string_view spec, std::string* error);
    // False if no such fault is installed (never was, removed, expired).
    bool remove(TransportFaultId id);
    void clear();
    std::vector<FaultInfo> list() const;
    // Observers get every firing, and one event when a for=D fault expires.
    void subscribe(TransportFaultObserver fn);

private:
    struct State;
    class Dispatch;
    std::shared_ptr<State> state_;
};

}  // namespace dmemu::transfer
