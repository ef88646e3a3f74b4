// SPDX-License-Identifier: GPL-2.0-only
// Runs a parsed scenario in a fresh world: the trace's "run" line first (file, hash, seed,
// mode), then every step whose guard admits the mode, in order, each within its limit of
// virtual time; a failed step is recorded and the run goes on (later expectations still say what
// they see). At the end the world is shut down (every device removed, every dtr run) and a
// DeterminismGuard, armed for the whole run, must have caught no real-clock read and no
// unseeded randomness.
//
// Interleaving: while background I/O runs, each step starts after a seeded pause of up to
// 2 ms of virtual time (stream "schedule"), so which writes are in flight when a table swaps
// differs from seed to seed, and the same seed always gives the same interleaving.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "emu/sim/scenario.hpp"
#include "emu/sim/trace.hpp"
#include "logs/userspace/log_server.hpp"

namespace dmemu::scenario {

class World;
struct PlanSpec;

struct RunOptions {
    std::uint64_t seed = 1;
    logs::MatchMode match = logs::MatchMode::uuid_luid;
    // WorldOptions::log_server: "dmemu", or a real daemon ("cmirrord", "cmirrord-legacy"), with
    // which the run does not replay. A real daemon that cannot start throws std::runtime_error.
    std::string log_server = "dmemu";
    std::string cmirrord_dir;
    Trace::Sink trace;  // empty: no trace
    // A fault plan laid over the scenario (fault_plan.hpp); recorded in the trace's first line.
    std::shared_ptr<const PlanSpec> plan;
    // Called on the loop thread after the world is built and before the first step (tests use
    // it to inject things, e.g. the determinism mutation test).
    std::function<void(World&)> on_start;
    // Called after every step that ran, with its outcome (dmemu run -v prints them).
    std::function<void(const ScenarioStep&, const StepResult&)> on_step;
};

struct StepFailure {
    SourceLocation at;
    std::string text;     // the line as written
    std::string message;  // what went wrong
    bool expectation = false;

    // "FILE:LINE: text" (a multi-line table shown with \n) and the message below it.
    std::string str() const;
};

struct RunResult {
    bool passed = false;
    std::vector<StepFailure> failures;
    std::vector<std::string> determinism;  // violations the guard caught
    bool torn_down = true;                 // every device removed, every coroutine finished
    std::uint64_t steps_run = 0;
    std::uint64_t trace_lines = 0;
    std::uint64_t expectations = 0;                     // expectations that ran
    std::map<std::string, std::uint64_t> faults_fired;  // "disk eio", "ulog drop", ...

    // The first failed expectation, else the first failure.
    const StepFailure* first_failure() const;
};

RunResult run_scenario(const Scenario& scenario, const RunOptions& options);

// "dmemu run FILE --seed N --match MODE [--faults PLAN]": the command that replays a run.
std::string replay_command(const std::string& file, std::uint64_t seed, logs::MatchMode match,
                           const std::string& plan = {});

}  // namespace dmemu::scenario
