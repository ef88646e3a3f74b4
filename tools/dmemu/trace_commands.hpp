// SPDX-License-Identifier: GPL-2.0-only
// The `dmemu trace` subcommands, over the JSON-lines traces `dmemu run --trace` writes:
//   dmemu trace export FILE.jsonl [--format perfetto] > out.json   (trace_export.hpp)
//   dmemu trace diff A.jsonl B.jsonl [--context N] [--exact]       (trace_diff.hpp)
// Exit status: export 0, or 2 when the trace cannot be read; diff 0 identical, 1 they differ,
// 2 a trace cannot be read. main() creates one TraceCommands before parsing and asks it
// afterwards whether one of its subcommands was chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <optional>
#include <string>

namespace dmemu::scenario {

class TraceCommands {
public:
    explicit TraceCommands(CLI::App& app);
    // The exit status, when `trace export` or `trace diff` was on the command line.
    std::optional<int> run_if_selected();

private:
    int export_trace();
    int diff();

    CLI::App* trace_ = nullptr;
    CLI::App* export_ = nullptr;
    CLI::App* diff_ = nullptr;
    std::string file_;
    std::string format_ = "perfetto";
    std::string a_, b_;
    std::size_t context_ = 3;
    bool exact_ = false;
};

}  // namespace dmemu::scenario
