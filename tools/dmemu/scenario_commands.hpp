// SPDX-License-Identifier: GPL-2.0-only
// The scenario subcommands of `dmemu`:
//   dmemu run FILE [--seed N] [--match uuid+luid|uuid|uuid-first] [--faults PLAN]
//             [--trace OUT.jsonl] [-v] [--log-server dmemu|cmirrord|cmirrord-legacy]
//             [--cmirrord-dir DIR]
//   dmemu run --replay TRACE
//   dmemu sweep FILE --seeds A..B [--jobs N] [--match MODE] [--faults PLAN] [--json]
//               [--shard K/N] [--result OUT.json]
//   dmemu sweep --merge RESULT.json... [--json]
// main() creates one ScenarioCommands before parsing and asks it afterwards whether one of its
// subcommands was chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::scenario {

class ScenarioCommands {
public:
    explicit ScenarioCommands(CLI::App& app);
    // The exit status, when `run` or `sweep` was on the command line.
    std::optional<int> run_if_selected();

private:
    int run();
    int sweep();

    CLI::App* run_ = nullptr;
    CLI::App* sweep_ = nullptr;
    std::string file_;
    std::uint64_t seed_ = 1;
    std::string match_ = "uuid+luid";
    std::string trace_;
    std::string faults_;
    std::string replay_;
    std::string log_server_ = "dmemu";
    std::string cmirrord_dir_;
    bool verbose_ = false;
    std::string seeds_;
    unsigned jobs_ = 2;
    bool json_ = false;
    bool quiet_ = false;
    std::string shard_;
    std::string result_;
    std::vector<std::string> merge_;
};

}  // namespace dmemu::scenario
