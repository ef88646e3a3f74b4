// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/scenario_commands.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>

#include "emu/sim/fault_plan.hpp"
#include "emu/sim/replay.hpp"
#include "emu/sim/runner.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/sweep.hpp"
#include "emu/sim/units.hpp"

namespace dmemu::scenario {

namespace {
const std::vector<std::string> kModes{"uuid+luid", "uuid", "uuid-first"};
}

ScenarioCommands::ScenarioCommands(CLI::App& app) {
    run_ =
        app.add_subcommand("run", "run a scenario file on the virtual clock (docs/scenarios.md)");
    run_->add_option("FILE", file_, "the scenario (.scn)");
    run_->add_option("--seed", seed_, "the seed of every random choice")->capture_default_str();
    run_->add_option("--match", match_,
                     "the log server's match mode; with a real --log-server, whose [mode] lines "
                     "to check (default uuid+luid; uuid for cmirrord-legacy)")
        ->check(CLI::IsMember(kModes))
        ->capture_default_str();
    run_->add_option("--log-server", log_server_,
                     "dmemu: dmemu's model, in process (deterministic); cmirrord, cmirrord-legacy: "
                     "the real daemon with corosync, virtual time waiting for it (docs/ulog.md)")
        ->check(CLI::IsMember({"dmemu", "cmirrord", "cmirrord-legacy"}))
        ->capture_default_str();
    run_->add_option(
        "--cmirrord-dir", cmirrord_dir_,
        "where cmirrord and cmirrord-legacy are (default $DMEMU_CMIRRORD_DIR, else the "
        "build tree's cmirrord/)");
    run_->add_option("--faults", faults_, "a fault plan laid over the scenario (docs/faults.md)");
    run_->add_option("--trace", trace_, "write the trace (JSON lines) to this file");
    run_->add_option("--replay", replay_, "re-run the run a trace recorded and diff the traces");
    run_->add_flag("-v,--verbose", verbose_, "print every step and its outcome");

    sweep_ = app.add_subcommand("sweep", "run a scenario for many seeds in parallel processes");
    sweep_->add_option("FILE", file_, "the scenario (.scn)");
    sweep_->add_option("--seeds", seeds_, "seed range A..B (inclusive)");
    sweep_->add_option("--jobs", jobs_, "worker processes")->capture_default_str();
    sweep_->add_option("--match", match_, "the log server's match mode")
        ->check(CLI::IsMember(kModes))
        ->capture_default_str();
    sweep_->add_option("--faults", faults_, "a fault plan laid over the scenario (docs/faults.md)");
    sweep_->add_flag("--json", json_, "one JSON object per seed, then a summary, on stdout");
    sweep_->add_flag("-q,--quiet", quiet_, "no progress on stderr");
    sweep_->add_option("--shard", shard_,
                       "run only shard K of N: seed s is in shard ((s - A) mod N) + 1");
    sweep_->add_option("--result", result_, "write the result file (JSON) for --merge");
    sweep_
        ->add_option("--merge", merge_, "combine result files into the summary of the whole sweep")
        ->expected(1, -1);
}

std::optional<int> ScenarioCommands::run_if_selected() {
    if (*run_) return run();
    if (*sweep_) return sweep();
    return std::nullopt;
}

int ScenarioCommands::run() {
    if (!replay_.empty()) {
        if (!file_.empty()) {
            std::cerr << "dmemu: run: give a FILE or --replay TRACE, not both\n";
            return 2;
        }
        return replay_trace(replay_, std::cout, std::cerr);
    }
    if (file_.empty()) {
        std::cerr << "dmemu: run: a scenario FILE (or --replay TRACE) is required\n";
        return 2;
    }
    // The legacy daemon is predicted to behave as the `uuid` mode (docs/ulog.md): its lines are
    // the ones to check, unless --match names others.
    if (log_server_ == "cmirrord-legacy" && run_->get_option("--match")->count() == 0)
        match_ = "uuid";
    logs::MatchMode match;
    logs::parse_match_mode(match_, &match);
    Scenario scenario;
    try {
        scenario = load_scenario(file_, builtin_step_registry());
    } catch (const std::exception& e) {
        std::cerr << "dmemu: " << e.what() << "\n";
        return 2;
    }
    std::ofstream trace_out;
    RunOptions options;
    if (!faults_.empty()) {
        try {
            options.plan = load_fault_plan(faults_);
        } catch (const std::exception& e) {
            std::cerr << "dmemu: " << e.what() << "\n";
            return 2;
        }
    }
    options.seed = seed_;
    options.match = match;
    options.log_server = log_server_;
    options.cmirrord_dir = cmirrord_dir_;
    if (!trace_.empty()) {
        trace_out.open(trace_);
        if (!trace_out) {
            std::cerr << "dmemu: cannot write trace '" << trace_ << "'\n";
            return 2;
        }
        options.trace = [&trace_out](const std::string& line) { trace_out << line << '\n'; };
    }
    if (verbose_)
        options.on_step = [](const ScenarioStep& s, const StepResult& r) {
            std::cout << fmt::format("{:>4} {} {}\n", s.line.at.line, r.ok ? "ok  " : "FAIL",
                                     s.line.text);
            if (!r.message.empty()) {
                std::string m = r.message;
                for (std::size_t p = 0; (p = m.find('\n', p)) != std::string::npos; p += 6)
                    m.replace(p, 1, "\n     ");
                std::cout << "       " << m << "\n";
            }
        };
    // The seed and every knob first, so any output can be reproduced (VOPR style).
    std::cout << fmt::format(
        "seed={} match={} file={} {}{}{}\n", seed_, match_, file_, scenario.hash,
        options.plan ? fmt::format(" faults={} {}", faults_, options.plan->hash) : std::string(),
        log_server_ == "dmemu" ? std::string() : " log-server=" + log_server_);
    if (log_server_ != "dmemu")
        std::cout
            << "note: the real " << log_server_
            << " answers: virtual time waits for it, the run does not replay from its seed, and "
               "reached= is not observable (the rest of those lines is checked)\n";
    RunResult result;
    try {
        result = run_scenario(scenario, options);
    } catch (const std::exception& e) {
        std::cerr << "dmemu: run: " << e.what() << "\n";
        return 1;
    }
    for (const auto& f : result.failures) std::cout << "FAILED " << f.str() << "\n";
    if (!result.torn_down)
        std::cout << "note: teardown did not finish: some I/O or dm operation stayed stuck\n";
    if (!trace_.empty())
        std::cout << "trace: " << trace_ << " (" << result.trace_lines << " lines)\n";
    for (const auto& [what, n] : result.faults_fired)
        std::cout << fmt::format("fault: {} fired {} time{}\n", what, n, n == 1 ? "" : "s");
    if (result.passed) {
        std::cout << fmt::format("PASSED: {} steps\n", result.steps_run);
        return 0;
    }
    if (log_server_ != "dmemu") {
        std::cout << fmt::format("FAILED: {} of {} steps (against the real {})\n",
                                 result.failures.size(), result.steps_run, log_server_);
        return 1;
    }
    std::cout << fmt::format("FAILED: {} of {} steps; replay: {}\n", result.failures.size(),
                             result.steps_run, replay_command(file_, seed_, match, faults_));
    return 1;
}

int ScenarioCommands::sweep() {
    if (!merge_.empty()) {
        for (const char* opt : {"FILE", "--seeds", "--shard", "--result", "--faults", "--match"})
            if (sweep_->get_option(opt)->count() != 0) {
                std::cerr << "dmemu: sweep: --merge takes result files only, not " << opt << "\n";
                return 2;
            }
        return merge_sweep_results(merge_, json_, std::cout, std::cerr);
    }
    if (file_.empty() || seeds_.empty()) {
        std::cerr << "dmemu: sweep: a scenario FILE and --seeds A..B are required (or --merge "
                     "RESULT.json...)\n";
        return 2;
    }
    auto range = parse_seed_range(seeds_);
    if (!range) {
        std::cerr << "dmemu: sweep: --seeds: expected A..B with A <= B, got '" << seeds_ << "'\n";
        return 2;
    }
    SweepOptions o;
    o.file = file_;
    o.first = range->first;
    o.last = range->second;
    o.jobs = std::max(1u, jobs_);
    logs::parse_match_mode(match_, &o.match);
    o.json = json_;
    o.progress = !quiet_;
    o.plan = faults_;
    if (!shard_.empty()) {
        auto shard = parse_shard(shard_);
        if (!shard) {
            std::cerr << "dmemu: sweep: --shard: expected K/N with 1 <= K <= N, got '" << shard_
                      << "'\n";
            return 2;
        }
        o.shard = *shard;
    }
    o.result = result_;
    return scenario::sweep(o, std::cout, std::cerr);
}

}  // namespace dmemu::scenario
