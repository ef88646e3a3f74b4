// SPDX-License-Identifier: GPL-2.0-only
// The run's trace: one JSON object per line, each stamped with the virtual time, written as
// events happen. docs/scenarios.md lists every kind and field; the first line ("run") names
// the scenario file, its hash, the seed and the match mode so `dmemu run --replay` can redo it.
//
// Keys keep the order they were added in (nlohmann::ordered_json), "t_us" and "kind" first, so
// two runs' traces compare byte for byte. A trace without a sink costs nothing but the checks of
// enabled() its producers make.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "emu/util/clock.hpp"

namespace dmemu::scenario {

using Json = nlohmann::ordered_json;

class Trace {
public:
    using Sink = std::function<void(const std::string& line)>;

    Trace() = default;
    explicit Trace(Sink sink) : sink_(std::move(sink)) {}

    bool enabled() const { return static_cast<bool>(sink_); }
    void attach_clock(const emu::Clock* clock) { clock_ = clock; }

    // A new event {"t_us": <virtual µs>, "kind": kind}: add fields, then emit() it.
    Json event(std::string_view kind) const;
    // The virtual time an event made now would carry, for an event that records a span.
    std::int64_t now_us() const;
    void emit(const Json& event);
    std::uint64_t lines() const { return lines_; }

private:
    Sink sink_;
    const emu::Clock* clock_ = nullptr;
    std::uint64_t lines_ = 0;
};

// Text safe for a JSON string and a terminal: printable ASCII kept, the rest as \xNN.
std::string printable(std::string_view bytes);

}  // namespace dmemu::scenario
