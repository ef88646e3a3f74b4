// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/trace_commands.hpp"

#include <iostream>

#include "emu/sim/trace_diff.hpp"
#include "emu/sim/trace_export.hpp"
#include "emu/sim/trace_file.hpp"

namespace dmemu::scenario {

TraceCommands::TraceCommands(CLI::App& app) {
    trace_ = app.add_subcommand(
        "trace", "export a scenario trace (dmemu run --trace) as a timeline, or diff two");
    trace_->require_subcommand(1);

    export_ = trace_->add_subcommand(
        "export", "write a trace as Chrome/Perfetto trace-event JSON on stdout (ui.perfetto.dev)");
    export_->add_option("FILE", file_, "the trace (JSON lines, dmemu run --trace)")->required();
    export_->add_option("--format", format_, "the output format")
        ->check(CLI::IsMember({"perfetto"}))
        ->capture_default_str();
    export_->footer(
        "Opens in ui.perfetto.dev and chrome://tracing. One track per device (its ioctls), per\n"
        "log instance (ulog requests, as slices from request to reply), per fault source (faults\n"
        "as instants); the scenario's steps and I/O as slices, kernel lines as instants. Time is\n"
        "the trace's virtual time (docs/scenarios.md, \"Looking at traces\").\n"
        "Exit status: 0 written, 2 the trace cannot be read (FILE:LINE says where).");

    diff_ = trace_->add_subcommand(
        "diff", "print where two traces first differ, with the events around it");
    diff_->add_option("A", a_, "the first trace")->required();
    diff_->add_option("B", b_, "the second trace")->required();
    diff_->add_option("--context", context_, "events shown before the divergence and after it")
        ->check(CLI::Range(0, 1000))
        ->capture_default_str();
    diff_->add_flag("--exact", exact_, "compare the lines as written: nothing normalised");
    diff_->footer(
        "For the same scenario in two server modes, or run by two builds. Unless --exact, the\n"
        "run line's match and the lines of guarded steps ([uuid] ...) do not count, and events\n"
        "are compared as JSON values (docs/scenarios.md, \"Looking at traces\").\n"
        "Exit status: 0 identical, 1 they differ, 2 a trace cannot be read.");
}

std::optional<int> TraceCommands::run_if_selected() {
    if (*export_) return export_trace();
    if (*diff_) return diff();
    return std::nullopt;
}

int TraceCommands::export_trace() {
    try {
        const TraceFile trace = read_trace(file_);
        std::cout << perfetto_trace(trace).dump(-1, ' ', false,
                                                nlohmann::ordered_json::error_handler_t::replace)
                  << "\n";
        std::cout.flush();
        if (!std::cout) {
            std::cerr << "dmemu: trace export: cannot write the output\n";
            return 2;
        }
        return 0;
    } catch (const TraceFileError& e) {
        std::cerr << "dmemu: " << e.what() << "\n";
        return 2;
    }
}

int TraceCommands::diff() {
    try {
        const TraceFile a = read_trace(a_);
        const TraceFile b = read_trace(b_);
        TraceDiffOptions options;
        options.context = context_;
        options.exact = exact_;
        return diff_traces(a, b, options, std::cout);
    } catch (const TraceFileError& e) {
        std::cerr << "dmemu: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace dmemu::scenario
