// SPDX-License-Identifier: GPL-2.0-only
// `dmemu trace diff A.jsonl B.jsonl`: the first event where two scenario traces part, with the
// events before it they share and the events after it on each side. For the same scenario run
// in two server modes, or by two builds.
//
// What does not count (unless --exact, which compares the lines as written):
//   * the "match" of the run line: the mode is what two modes' runs differ in by design;
//   * the step and result/expect lines of guarded steps ("[uuid] expect ..."): the scenario's
//     per-mode statements, which only one of the runs makes (what such a step does, its dm,
//     ioctl and ulog lines, still counts);
//   * key order and spacing: events are compared as JSON values.
//
// Output (the columns are the events' line numbers in A and in B):
//
//   --- A.jsonl (seed=1 match=uuid+luid, 412 events)
//   +++ B.jsonl (seed=1 match=uuid-first, 398 events)
//   first divergence at event 143 (A.jsonl:150, B.jsonl:150), t_us 6988
//   in step line 49: resume pvmove0
//   differs in: reached "L2" | "L1"
//     147 147  {...}           context: the same in both
//   - 150      {...}           A from the divergence on
//   +     150  {...}           B from the divergence on
//
// Exit status: 0 identical, 1 they differ, 2 a trace cannot be read.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <vector>

#include "emu/sim/trace_file.hpp"

namespace dmemu::scenario {

struct TraceDiffOptions {
    std::size_t context = 3;  // events before the divergence, and after it on each side
    bool exact = false;       // compare the lines as written, nothing normalised
};

// The events that count, each as compared (normalised unless exact). Throws TraceFileError on a
// step line whose "line" or "text" has the wrong type.
struct ComparedEvent {
    const TraceEvent* event = nullptr;
    nlohmann::json value;  // unordered: key order does not count
};
std::vector<ComparedEvent> compared_events(const TraceFile& trace, const TraceDiffOptions& options);

// Index (into both compared lists) of the first event that differs, or where the shorter ends.
std::optional<std::size_t> first_difference(const std::vector<ComparedEvent>& a,
                                            const std::vector<ComparedEvent>& b);

// Prints the report; returns the exit status (0 identical, 1 differ). Throws TraceFileError.
int diff_traces(const TraceFile& a, const TraceFile& b, const TraceDiffOptions& options,
                std::ostream& out);

}  // namespace dmemu::scenario
