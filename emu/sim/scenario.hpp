// SPDX-License-Identifier: GPL-2.0-only
// A parsed scenario: its file, text and hash (the trace's first line records them so a replay
// knows it runs the same thing), and its steps in order, each with its line and guard.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "emu/sim/lexer.hpp"
#include "emu/sim/step.hpp"

namespace dmemu::scenario {

class StepRegistry;

struct ScenarioStep {
    LogicalLine line;
    std::unique_ptr<Step> step;
};

struct Scenario {
    std::string file;
    std::string text;
    std::string hash;  // "fnv1a64:<16 hex digits>" of the text
    std::vector<ScenarioStep> steps;
};

// Throws ParseError ("FILE:LINE: ...") on the first malformed line.
Scenario parse_scenario(std::string text, const std::string& file, const StepRegistry& registry);
// Reads the file first; throws std::runtime_error when it cannot.
Scenario load_scenario(const std::string& path, const StepRegistry& registry);
std::string text_hash(std::string_view text);

}  // namespace dmemu::scenario
