// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/replay.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "emu/sim/fault_plan.hpp"
#include "emu/sim/runner.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

std::optional<TraceHeader> parse_trace_header(const std::string& first_line, std::string* error) {
    try {
        auto j = nlohmann::json::parse(first_line);
        if (j.value("kind", "") != "run") {
            *error = "the first line is not a \"run\" line";
            return std::nullopt;
        }
        if (j.contains("log_server")) {
            *error = "the run was against " + j["log_server"].get<std::string>() +
                     ", a real process: it does not replay from its seed";
            return std::nullopt;
        }
        TraceHeader h;
        h.file = j.at("file").get<std::string>();
        h.hash = j.at("hash").get<std::string>();
        h.seed = j.at("seed").get<std::uint64_t>();
        if (!logs::parse_match_mode(j.at("match").get<std::string>(), &h.match)) {
            *error = "unknown match mode " + j.at("match").dump();
            return std::nullopt;
        }
        if (j.contains("plan")) {
            h.has_plan = true;
            h.plan_file = j["plan"].at("file").get<std::string>();
            h.plan_text = j["plan"].at("text").get<std::string>();
        }
        return h;
    } catch (const std::exception& e) {
        *error = std::string("cannot read the run line: ") + e.what();
        return std::nullopt;
    }
}

std::optional<Divergence> first_divergence(const std::vector<std::string>& recorded,
                                           const std::vector<std::string>& replayed) {
    const std::size_t n = std::max(recorded.size(), replayed.size());
    for (std::size_t i = 0; i < n; ++i) {
        std::optional<std::string> a, b;
        if (i < recorded.size()) a = recorded[i];
        if (i < replayed.size()) b = replayed[i];
        if (a != b) return Divergence{i + 1, a, b};
    }
    return std::nullopt;
}

int replay_trace(const std::string& trace_path, std::ostream& out, std::ostream& err) {
    std::ifstream in(trace_path);
    if (!in) {
        err << "dmemu: cannot read trace '" << trace_path << "'\n";
        return 2;
    }
    std::vector<std::string> recorded;
    for (std::string line; std::getline(in, line);) recorded.push_back(line);
    std::string error;
    auto header = recorded.empty() ? std::nullopt : parse_trace_header(recorded.front(), &error);
    if (!header) {
        err << "dmemu: " << trace_path
            << ": not a scenario trace: " << (recorded.empty() ? "it is empty" : error) << "\n";
        return 2;
    }
    Scenario scenario;
    try {
        scenario = load_scenario(header->file, builtin_step_registry());
    } catch (const std::exception& e) {
        err << "dmemu: " << e.what() << "\n";
        return 2;
    }
    RunOptions options;
    try {
        // The plan as recorded, not as the file reads now: the run is replayed exactly.
        if (header->has_plan) options.plan = parse_fault_plan(header->plan_text, header->plan_file);
    } catch (const std::exception& e) {
        err << "dmemu: the trace's fault plan: " << e.what() << "\n";
        return 2;
    }
    out << "replay: "
        << replay_command(header->file, header->seed, header->match, header->plan_file) << "\n";
    if (scenario.hash != header->hash)
        out << "note: " << header->file << " changed since the trace was recorded (" << header->hash
            << " then, " << scenario.hash << " now)\n";
    std::vector<std::string> replayed;
    options.seed = header->seed;
    options.match = header->match;
    options.trace = [&replayed](const std::string& line) { replayed.push_back(line); };
    run_scenario(scenario, options);
    auto d = first_divergence(recorded, replayed);
    if (!d) {
        out << "identical: " << recorded.size() << " lines\n";
        return 0;
    }
    out << "first divergence at line " << d->line << ":\n"
        << "  recorded: " << d->recorded.value_or("(the recorded trace ended)") << "\n"
        << "  replayed: " << d->replayed.value_or("(the replayed trace ended)") << "\n";
    return 1;
}

}  // namespace dmemu::scenario
