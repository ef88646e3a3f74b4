// SPDX-License-Identifier: GPL-2.0-only
// `dmemu run --replay TRACE`: read the trace's first line (file, hash, seed, mode), run the
// scenario again with that seed and mode, and compare the new trace with the recorded one line
// by line; the first line that differs is printed with both versions. A trace is a pure function
// of (scenario text, seed, mode), so any difference is a determinism bug or a changed scenario
// (a changed file is reported first, by its hash).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "logs/userspace/log_server.hpp"

namespace dmemu::scenario {

struct TraceHeader {
    std::string file;
    std::string hash;
    std::uint64_t seed = 0;
    logs::MatchMode match = logs::MatchMode::uuid_luid;
    std::string plan_file, plan_text;  // the fault plan, when the run had one
    bool has_plan = false;
};

std::optional<TraceHeader> parse_trace_header(const std::string& first_line, std::string* error);

struct Divergence {
    std::size_t line = 0;                           // 1-based
    std::optional<std::string> recorded, replayed;  // nullopt: that trace ended before
};

std::optional<Divergence> first_divergence(const std::vector<std::string>& recorded,
                                           const std::vector<std::string>& replayed);

// Exit status: 0 identical, 1 diverged (or the replayed run failed differently), 2 bad input.
int replay_trace(const std::string& trace_path, std::ostream& out, std::ostream& err);

}  // namespace dmemu::scenario
