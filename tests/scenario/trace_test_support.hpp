// SPDX-License-Identifier: GPL-2.0-only
// Shared by the trace tool suites: a run's trace lines as a TraceFile, and the two traces the
// main demo compares (tools/demo.sh: pvmove-swap.scn, seed 1, uuid+luid and uuid-first).
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "emu/sim/trace_file.hpp"
#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {

inline TraceFile as_trace(const std::vector<std::string>& lines, const std::string& name) {
    std::stringstream text;
    for (const auto& l : lines) text << l << "\n";
    return parse_trace(text, name);
}

// A fixture's trace, run in a child process (legacy modes leave their world stuck).
inline TraceFile fixture_trace(const std::string& fixture, std::uint64_t seed, MatchMode mode) {
    const Outcome o = run_isolated(load_fixture(fixture), seed, mode, true);
    return as_trace(o.trace, fixture + "@" + std::string(logs::to_string(mode)));
}

}  // namespace dmemu::scenario::test
