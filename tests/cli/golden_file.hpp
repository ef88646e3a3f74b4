// SPDX-License-Identifier: GPL-2.0-only
// The oracle's golden file format (/work/shared/oracle/README.md): a '#' header, then per
// command
//   === [N] $ COMMAND
//   [--- dmesg (late, from before this command) ---
//   LINES]
//   --- stdout ---
//   BYTES
//   --- stderr ---
//   BYTES
//   --- exit: N ---
//   --- dmesg ---
//   LINES
//   (blank line)
// or, for a step the shell ran itself, "=== [N] $ COMMAND\n(not captured)\n\n".
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dmemu::cli_test {

struct GoldenStep {
    int number = 0;
    std::string command;
    bool captured = true;
    std::string late_dmesg;  // kernel lines that arrived before the command
    std::string out;
    std::string err;
    int exit_code = 0;
    std::string dmesg;  // one "line\n" per kernel line
};

struct GoldenCase {
    std::string name;
    std::vector<GoldenStep> steps;
};

// nullopt with *error set when the text does not follow the format.
std::optional<GoldenCase> parse_golden(const std::string& text, std::string* error);

// Replaces every partial "<n>/<regions>" word (n < regions) with "<partial>/<regions>": a
// mirror's resync progress that depended on the guest's timing compares as "partial".
std::string mask_partial_sync(const std::string& text);

}  // namespace dmemu::cli_test
