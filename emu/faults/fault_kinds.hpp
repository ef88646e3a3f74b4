// SPDX-License-Identifier: GPL-2.0-only
// Block fault kinds by name, and the one list that registers them (fault_kinds.cpp), like
// emu/targets/builtin.cpp for targets. A kind is one file defining one FaultKind value.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "emu/faults/fault.hpp"
#include "emu/faults/fault_spec.hpp"

namespace dmemu::emu {

struct FaultKind {
    std::string_view name;
    std::string_view grammar;  // one line for usage texts: "eio [sectors=A-B] [op=LIST] ..."
    // Builds the fault from its parameters, or returns nullptr with the error in the reader.
    std::unique_ptr<Fault> (*make)(SpecReader& spec);
};

extern const FaultKind eio_fault_kind;
extern const FaultKind latency_fault_kind;
extern const FaultKind torn_write_fault_kind;
extern const FaultKind lost_unflushed_fault_kind;
extern const FaultKind full_fault_kind;

// Every kind, in the order `fault list`-style usage texts show them.
std::span<const FaultKind* const> fault_kinds();
const FaultKind* find_fault_kind(std::string_view name);

struct ParsedFault {
    const FaultKind* kind = nullptr;
    std::unique_ptr<Fault> fault;  // nullptr on error
    std::string error;             // "fault: ..." when fault is null
};

// The one parser: text spec -> fault of a registered kind, or an error naming what was wrong.
ParsedFault parse_fault(std::string_view text);

}  // namespace dmemu::emu
