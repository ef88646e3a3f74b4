// SPDX-License-Identifier: GPL-2.0-only
// `dmemu trace export FILE --format perfetto`: a scenario trace as Chrome/Perfetto trace-event
// JSON, the format ui.perfetto.dev and chrome://tracing open:
//
//   {"traceEvents":[...], "displayTimeUnit":"ns", "otherData":{the run line's file, seed, match}}
//
// Time is the trace's virtual time: "ts" and "dur" count its microseconds, as the format does.
// A virtual clock does many things in one microsecond (a CTR and its reply, the ioctl that sent
// it): events of one microsecond are spread 1 ns apart in trace order (the first at .000, up to
// .999), so that they keep their order and some width. The microseconds are exact; the
// nanoseconds are only that order.
// One process per kind of actor, one track (thread) per actor in it, named by "M" events
// (process_name, thread_name, and sort indexes that keep the order below):
//
//   pid 1 scenario         track "steps": each step a slice from its "step" line to its
//                          "result"/"expect" line (args: line, text, ok, message, the dmsetup run)
//   pid 2 devices          one track per device: each ioctl a slice ending at its line, drawn
//                          back by its latency_us (within a microsecond, to just after the
//                          step's start or the ioctl before it); a reader's problem, an instant
//   pid 3 userspace logs   one track per log instance (L1, L2, ...): each ulog request a slice
//                          from the request to its reply (paired by seq), named for the type and,
//                          when it matters, the error and the log it reached; a request with no
//                          reply ends at its log's next request or at the end of the trace
//   pid 4 faults           one track per fault source ("disk src", "ulog", "log-server",
//                          "machine"): each fault line and log-server step an instant
//   pid 5 messages         tracks "kernel" and "log server": their log lines as instants
//   pid 6 scenario I/O     one track per device and origin: each I/O a slice drawn back by its
//                          latency_us
//
// Slices of one track never overlap: one that would (two requests of a log in flight at once)
// goes on a second lane of that track, "L1 #2". Kinds this version does not know become instants
// on the steps track, so nothing in the trace is dropped silently.
#pragma once

#include <nlohmann/json.hpp>

#include "emu/sim/trace_file.hpp"

namespace dmemu::scenario {

// Throws TraceFileError ("trace: FILE:LINE: ...") on an event whose fields have the wrong type.
nlohmann::ordered_json perfetto_trace(const TraceFile& trace);

}  // namespace dmemu::scenario
