// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/scenario.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

std::string text_hash(std::string_view text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return fmt::format("fnv1a64:{:016x}", h);
}

Scenario parse_scenario(std::string text, const std::string& file, const StepRegistry& registry) {
    Scenario s;
    s.file = file;
    s.hash = text_hash(text);
    for (auto& line : lex(text, file)) {
        auto step = registry.make(line, 0);
        s.steps.push_back(ScenarioStep{std::move(line), std::move(step)});
    }
    s.text = std::move(text);
    return s;
}

Scenario load_scenario(const std::string& path, const StepRegistry& registry) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("scenario: cannot read '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_scenario(text.str(), path, registry);
}

}  // namespace dmemu::scenario
