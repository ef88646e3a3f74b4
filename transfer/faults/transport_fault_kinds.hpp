// SPDX-License-Identifier: GPL-2.0-only
// Transport fault kinds by name, and the one list that registers them
// (transport_fault_kinds.cpp), as emu/faults/fault_kinds.hpp does for block faults. A kind is
// one file defining one TransportFaultKind value.
//
// Spec text, parsed by the block faults' tokenizer and SpecReader (emu/faults/fault_spec.hpp),
// so errors read the same ("fault: drop: unknown parameter 'bogus'"):
//
//   SPEC := KIND [dir=to-server|to-kernel|both] [type=TYPE,...] [times=N] [for=D] KIND-WORDS...
//
//   dir    which way the messages the fault acts on travel; default both
//   type   request types it acts on (CTR or DM_ULOG_CTR ...); a reply carries its request's
//          type; a bare ack is known by the request with its seq (TransportFaults remembers);
//          default every type
//   times  act at most N times, then forward everything (e.g. drop exactly one reply)
//   for    the fault removes itself D after it was added, on the Clock (250ms, 10s, ...)
// dir, type and times are per-message words: `cut` takes only `for`.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "emu/faults/fault_spec.hpp"
#include "transfer/faults/transport_fault.hpp"

namespace dmemu::transfer {

struct TransportFaultKind {
    std::string_view name;
    std::string_view grammar;  // one line for usage texts, without the common words
    bool per_message;          // takes dir=, type=, times= (every kind but cut)
    // Builds the fault from its own words, or returns nullptr with the error in the reader.
    std::shared_ptr<TransportFault> (*make)(emu::SpecReader& spec, TransportFaultSetup setup);
};

extern const TransportFaultKind drop_transport_fault;
extern const TransportFaultKind delay_transport_fault;
extern const TransportFaultKind duplicate_transport_fault;
extern const TransportFaultKind reorder_transport_fault;
extern const TransportFaultKind corrupt_transport_fault;
extern const TransportFaultKind cut_transport_fault;

// Every kind, in the order usage texts show them.
std::span<const TransportFaultKind* const> transport_fault_kinds();
const TransportFaultKind* find_transport_fault_kind(std::string_view name);

struct ParsedTransportFault {
    const TransportFaultKind* kind = nullptr;
    std::shared_ptr<TransportFault> fault;  // nullptr on error
    std::optional<emu::Duration> lifetime;  // for=D
    std::string error;                      // "fault: ..." when fault is null
};

// The one parser: spec text -> fault of a registered kind. `setup` brings the clock, the rng,
// describe and report; the parser fills in the filter and times from the spec.
ParsedTransportFault parse_transport_fault(std::string_view text, TransportFaultSetup setup);

}  // namespace dmemu::transfer
