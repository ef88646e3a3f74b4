// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/faults/transport_fault_kinds.hpp"

#include <fmt/format.h>

#include <array>

namespace dmemu::transfer {

namespace {

// The one list: a new kind is one file and one line here.
constexpr std::array<const TransportFaultKind*, 6> kKinds = {
    &drop_transport_fault,    &delay_transport_fault,   &duplicate_transport_fault,
    &reorder_transport_fault, &corrupt_transport_fault, &cut_transport_fault,
};

// dir=, type=, times=: which messages, and how often.
void read_message_words(emu::SpecReader& spec, TransportFaultSetup& setup) {
    if (const auto dir = spec.value("dir")) {
        if (*dir == "to-server") {
            setup.filter.to_kernel = false;
        } else if (*dir == "to-kernel") {
            setup.filter.to_server = false;
        } else if (*dir != "both") {
            spec.fail(fmt::format("bad dir '{}' (to-server, to-kernel, both)", *dir));
        }
    }
    if (const auto types = spec.value("type")) {
        std::string_view rest = *types;
        for (;;) {
            const std::size_t comma = rest.find(',');
            const std::string_view name = rest.substr(0, comma);
            const auto type = request_type_from_name(name);
            if (!type) {
                spec.fail(
                    fmt::format("bad request type '{}' (a DM_ULOG_ name, with or without "
                                "the prefix: FLUSH, DM_ULOG_MARK_REGION, ...)",
                                name));
                break;
            }
            setup.filter.types.push_back(*type);
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    if (const auto times = spec.number("times")) {
        if (*times == 0) spec.fail("times=0 would never act (at least 1)");
        setup.times = times;
    }
}

}  // namespace

std::span<const TransportFaultKind* const> transport_fault_kinds() { return kKinds; }

const TransportFaultKind* find_transport_fault_kind(std::string_view name) {
    for (const TransportFaultKind* k : kKinds)
        if (k->name == name) return k;
    return nullptr;
}

ParsedTransportFault parse_transport_fault(std::string_view text, TransportFaultSetup setup) {
    ParsedTransportFault out;
    const auto spec = emu::tokenize_fault_spec(text, &out.error);
    if (!spec) return out;
    out.kind = find_transport_fault_kind(spec->kind);
    if (out.kind == nullptr) {
        std::string names;
        for (const TransportFaultKind* k : kKinds)
            names += (names.empty() ? "" : ", ") + std::string(k->name);
        out.error = fmt::format("fault: unknown kind '{}' (kinds: {})", spec->kind, names);
        return out;
    }
    emu::SpecReader reader(*spec);
    if (out.kind->per_message) read_message_words(reader, setup);
    if (const auto lifetime = reader.value("for")) {
        out.lifetime = emu::parse_fault_duration(*lifetime);
        if (!out.lifetime || *out.lifetime <= emu::Duration::zero())
            reader.fail(
                fmt::format("bad duration for='{}' (a positive 250ms, 10s, ...)", *lifetime));
    }
    std::shared_ptr<TransportFault> fault;
    if (reader.ok()) fault = out.kind->make(reader, std::move(setup));
    if (!reader.finish() || !fault) {
        out.error = reader.ok() ? fmt::format("fault: {}: bad spec", spec->kind) : reader.error();
        out.lifetime.reset();
        return out;
    }
    out.fault = std::move(fault);
    return out;
}

}  // namespace dmemu::transfer
