// SPDX-License-Identifier: GPL-2.0-only
#include "emu/faults/fault_kinds.hpp"

#include <fmt/format.h>

#include <array>

namespace dmemu::emu {

namespace {

// The one list: a new kind is one file and one line here.
constexpr std::array<const FaultKind*, 5> kKinds = {
    &eio_fault_kind,  &latency_fault_kind, &torn_write_fault_kind, &lost_unflushed_fault_kind,
    &full_fault_kind,
};

}  // namespace

std::span<const FaultKind* const> fault_kinds() { return kKinds; }

const FaultKind* find_fault_kind(std::string_view name) {
    for (const FaultKind* k : kKinds)
        if (k->name == name) return k;
    return nullptr;
}

ParsedFault parse_fault(std::string_view text) {
    ParsedFault out;
    const auto spec = tokenize_fault_spec(text, &out.error);
    if (!spec) return out;
    out.kind = find_fault_kind(spec->kind);
    if (out.kind == nullptr) {
        std::string names;
        for (const FaultKind* k : kKinds)
            names += (names.empty() ? "" : ", ") + std::string(k->name);
        out.error = fmt::format("fault: unknown kind '{}' (kinds: {})", spec->kind, names);
        return out;
    }
    SpecReader reader(*spec);
    auto fault = out.kind->make(reader);
    if (!reader.finish() || !fault) {
        out.error = reader.ok() ? fmt::format("fault: {}: bad spec", spec->kind) : reader.error();
        return out;
    }
    out.fault = std::move(fault);
    return out;
}

}  // namespace dmemu::emu
