// SPDX-License-Identifier: GPL-2.0-only
// Shared by the scenario suites: run scenario text or a fixture in this process, or in a forked
// child (runs whose teardown hangs keep their world for ever, runner.cpp: a child takes that
// memory with it when it exits).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emu/sim/runner.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario::test {

struct Outcome {
    bool passed = false;
    bool torn_down = true;
    std::vector<std::string> failed;    // "LINE: text" of every failed step, in order
    std::vector<std::string> messages;  // their messages
    std::vector<std::string> trace;     // every trace line
    std::vector<std::string> determinism;
};

// Two 1 MiB legs and a synced 16-region mirror "m" with a userspace log (uuid LVM-mlog).
inline constexpr const char* kUlogMirror = R"(
disk leg0 1M devno=7:0
disk leg1 1M devno=7:1
create m --uuid LVM-m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
wait-sync m timeout=5s
)";

inline std::string fixture_path(const std::string& name) {
    return std::string(SCENARIO_FIXTURES_DIR) + "/" + name;
}

inline Outcome to_outcome(const RunResult& r, std::vector<std::string> trace) {
    Outcome o;
    o.passed = r.passed;
    o.torn_down = r.torn_down;
    for (const auto& f : r.failures) {
        o.failed.push_back(std::to_string(f.at.line) + ": " + f.text);
        o.messages.push_back(f.message);
    }
    o.trace = std::move(trace);
    o.determinism = r.determinism;
    return o;
}

// In this process: for scenarios whose teardown finishes.
inline Outcome run_text(const std::string& text, std::uint64_t seed = 1,
                        logs::MatchMode match = logs::MatchMode::uuid_luid,
                        std::function<void(World&)> on_start = {}) {
    const Scenario s = parse_scenario(text, "test.scn", builtin_step_registry());
    std::vector<std::string> trace;
    RunOptions o;
    o.seed = seed;
    o.match = match;
    o.trace = [&trace](const std::string& line) { trace.push_back(line); };
    o.on_start = std::move(on_start);
    const RunResult r = run_scenario(s, o);
    return to_outcome(r, std::move(trace));
}

// In a forked child, the outcome sent back through a pipe (trace included when asked).
Outcome run_isolated(const Scenario& s, std::uint64_t seed, logs::MatchMode match, bool with_trace);

// run_text in a forked child: for runs that leave coroutines parked for ever (a hang, I/O lost in
// a power cut), whose frames LeakSanitizer would report at exit (the child _exit()s).
inline Outcome run_text_isolated(const std::string& text, std::uint64_t seed = 1) {
    return run_isolated(parse_scenario(text, "test.scn", builtin_step_registry()), seed,
                        logs::MatchMode::uuid_luid, true);
}

// A power cut abandons the old machine's coroutines mid-I/O (their completions never come, as on
// real hardware), and their frames stay allocated until the process exits, which LeakSanitizer
// reports as leaks. Runs of such fixtures go through run_isolated: the child _exit()s.
inline bool abandons_coroutines(const std::string& fixture) {
    return fixture.find("power-cut") != std::string::npos;
}

inline Scenario load_fixture(const std::string& name) {
    return load_scenario(fixture_path(name), builtin_step_registry());
}

}  // namespace dmemu::scenario::test
