// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/runner.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "emu/sim/background_io.hpp"
#include "emu/sim/driver.hpp"
#include "emu/sim/fault_plan.hpp"
#include "emu/sim/units.hpp"
#include "emu/sim/world.hpp"
#include "emu/util/determinism.hpp"

namespace dmemu::scenario {

namespace {

constexpr auto kMaxInterleave = std::chrono::microseconds(2000);
constexpr auto kTeardownLimit = std::chrono::hours(1);

// A world whose teardown hung keeps coroutines waiting on its objects: it is never destroyed
// (destroying it would run those frames against freed objects), only kept reachable, and the
// list itself is never destroyed either, not even at exit. A process that runs many hanging
// scenarios (a sweep worker) starts afresh instead (sweep.cpp).
std::vector<std::unique_ptr<World>>& stuck_worlds() {
    static auto* worlds = new std::vector<std::unique_ptr<World>>;
    return *worlds;
}

}  // namespace

std::string StepFailure::str() const {
    std::string one_line;
    for (char c : text) one_line += c == '\n' ? std::string("\\n") : std::string(1, c);
    return at.str() + ": " + one_line + "\n    " + message;
}

const StepFailure* RunResult::first_failure() const {
    for (const auto& f : failures)
        if (f.expectation) return &f;
    return failures.empty() ? nullptr : &failures.front();
}

std::string replay_command(const std::string& file, std::uint64_t seed, logs::MatchMode match,
                           const std::string& plan) {
    return fmt::format("dmemu run {} --seed {} --match {}{}", file, seed, logs::to_string(match),
                       plan.empty() ? std::string() : " --faults " + plan);
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
    RunResult result;
    emu::DeterminismGuard guard;
    Trace trace(options.trace);
    {
        Json j = trace.event("run");
        j["file"] = scenario.file;
        j["hash"] = scenario.hash;
        j["seed"] = options.seed;
        j["match"] = logs::to_string(options.match);
        if (options.log_server != "dmemu") {
            // The kernel side still runs on virtual time, but that time waits for a real
            // process (real_log_server.hpp): the run cannot be replayed from its seed.
            j["log_server"] = "the real " + options.log_server + ", with corosync";
            j["clock"] = "virtual, standing still while the real log server works: not replayable";
            j["reached"] = "not observable: reached= expectations check the rest";
        }
        j["steps"] = scenario.steps.size();
        // The plan's whole text: --replay needs nothing but the trace and the scenario file.
        if (options.plan)
            j["plan"] = {{"file", options.plan->file},
                         {"hash", options.plan->hash},
                         {"text", options.plan->text}};
        trace.emit(j);
    }
    // After the run line: a real server starts here, and what it says goes into the trace.
    auto world = std::make_unique<World>(
        WorldOptions{options.seed, options.match, options.log_server, options.cmirrord_dir}, trace);
    if (options.log_server != "dmemu" && trace.enabled()) {
        Json j = trace.event("server");
        j["event"] = "start";
        j["what"] = world->log_server().describe();
        trace.emit(j);
    }
    if (options.plan) world->set_fault_plan(std::make_shared<FaultPlan>(options.plan));
    if (options.on_start) options.on_start(*world);

    emu::Rng& schedule = world->stream("schedule");
    for (const auto& s : scenario.steps) {
        if (!s.line.modes.contains(options.match)) continue;
        if (world->background().active({}) > 0) {
            const auto pause = std::chrono::microseconds(
                static_cast<std::int64_t>(schedule.below(kMaxInterleave.count() + 1)));
            drive(
                *world, [] { return false; }, world->clock().now() + pause);
        }
        {
            Json j = trace.event("step");
            j["line"] = s.line.at.line;
            j["text"] = s.line.text;
            trace.emit(j);
        }
        ++result.steps_run;
        Step& step = *s.step;
        if (step.is_expectation()) ++result.expectations;
        World& w = *world;
        auto outcome = std::make_shared<std::optional<StepResult>>();
        asio::co_spawn(
            w.context(),
            [&step, &w, outcome]() -> asio::awaitable<void> {
                StepResult r = co_await run_step(step, w);
                *outcome = std::move(r);
            },
            asio::detached);
        const bool finished = drive(
            w, [&] { return outcome->has_value(); }, w.clock().now() + step.limit());
        StepResult r =
            finished ? std::move(**outcome)
                     : StepResult::fail("did not finish within " + format_duration(step.limit()) +
                                        " of virtual time (hung)");
        // A power cut's restart is built here, between steps, outside the loop.
        if (std::string e = w.reboot_if_pending(); !e.empty() && r.ok)
            r = StepResult::fail("power-cut: " + e);
        if (trace.enabled()) {
            Json j = trace.event(step.is_expectation() ? "expect" : "result");
            j["line"] = s.line.at.line;
            j["ok"] = r.ok;
            if (!r.message.empty()) j["message"] = r.message;
            trace.emit(j);
        }
        if (options.on_step) options.on_step(s, r);
        if (!r.ok)
            result.failures.push_back(
                StepFailure{s.line.at, s.line.text, r.message, step.is_expectation()});
    }

    result.faults_fired = world->faults_fired();
    result.torn_down = world->shut_down(kTeardownLimit);
    {
        Json j = trace.event("teardown");
        j["ok"] = result.torn_down;
        trace.emit(j);
    }
    result.determinism = guard.violations();
    for (const auto& v : result.determinism)
        result.failures.push_back(StepFailure{SourceLocation{scenario.file, 0}, "(determinism)",
                                              "nondeterminism inside the run: " + v, true});
    result.passed = result.failures.empty();
    {
        Json j = trace.event("end");
        j["passed"] = result.passed;
        j["failures"] = result.failures.size();
        trace.emit(j);
    }
    result.trace_lines = trace.lines();
    if (result.torn_down)
        world.reset();
    else {
        world->log_server().power_off();  // a real daemon must not outlive the run
        world->release_logger();
        stuck_worlds().push_back(std::move(world));
    }
    return result;
}

}  // namespace dmemu::scenario
