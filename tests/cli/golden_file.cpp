// SPDX-License-Identifier: GPL-2.0-only
#include "tests/cli/golden_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace dmemu::cli_test {

namespace {

constexpr std::string_view kStep = "=== [";

// Reads the block that follows `marker` (a whole line) up to the next line starting with
// `next`; both are searched from *pos, which moves past the block.
bool take_block(const std::string& text, std::size_t* pos, std::string_view marker,
                std::string_view next, std::string* block) {
    if (text.compare(*pos, marker.size(), marker) != 0) return false;
    *pos += marker.size();
    std::size_t end = *pos;
    for (;;) {
        if (text.compare(end, next.size(), next) == 0) break;
        const std::size_t nl = text.find('\n', end);
        if (nl == std::string::npos) return false;
        end = nl + 1;
    }
    *block = text.substr(*pos, end - *pos);
    *pos = end;
    return true;
}

}  // namespace

std::optional<GoldenCase> parse_golden(const std::string& text, std::string* error) {
    GoldenCase gc;
    std::size_t pos = 0;
    while (pos < text.size() && text.compare(pos, kStep.size(), kStep) != 0) {
        const std::size_t nl = text.find('\n', pos);
        const std::string line = text.substr(pos, nl - pos);
        if (line.rfind("# case: ", 0) == 0) gc.name = line.substr(8);
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string head = text.substr(pos, nl - pos);
        GoldenStep step;
        const auto close = head.find("] $ ");
        if (head.rfind(kStep, 0) != 0 || close == std::string::npos) {
            *error = fmt::format("bad step header at byte {}: '{}'", pos, head);
            return std::nullopt;
        }
        step.number = std::stoi(head.substr(kStep.size(), close - kStep.size()));
        step.command = head.substr(close + 4);
        pos = nl + 1;
        const std::string where = fmt::format("step [{}]", step.number);
        if (text.compare(pos, 15, "(not captured)\n") == 0) {
            step.captured = false;
            pos += 15;
        } else {
            std::string exit_block;
            if (text.compare(pos, 17, "--- dmesg (late, ") == 0) {
                const std::size_t eol = text.find('\n', pos);
                std::size_t p = eol + 1;
                const std::size_t out = text.find("--- stdout ---\n", p);
                step.late_dmesg = text.substr(p, out - p);
                pos = out;
            }
            if (!take_block(text, &pos, "--- stdout ---\n", "--- stderr ---\n", &step.out) ||
                !take_block(text, &pos, "--- stderr ---\n", "--- exit: ", &step.err)) {
                *error = where + ": missing stdout or stderr block";
                return std::nullopt;
            }
            const std::size_t eol = text.find('\n', pos);
            step.exit_code = std::stoi(text.substr(pos + 10, eol - pos - 10));
            pos = eol + 1;
            if (!take_block(text, &pos, "--- dmesg ---\n", "\n", &step.dmesg)) {
                *error = where + ": missing dmesg block";
                return std::nullopt;
            }
        }
        if (text.compare(pos, 1, "\n") != 0) {
            *error = where + ": missing the blank line that ends a step";
            return std::nullopt;
        }
        ++pos;
        gc.steps.push_back(std::move(step));
    }
    return gc;
}

// Replaces every partial "<n>/<regions>" word (n < regions) with "<partial>/<regions>".
std::string mask_partial_sync(const std::string& text) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = std::min(text.find_first_of(" \n", pos), text.size());
        const std::string word = text.substr(pos, end - pos);
        const std::size_t slash = word.find('/');
        bool partial = false;
        if (slash != std::string::npos && slash > 0 && slash + 1 < word.size() &&
            word.find_first_not_of("0123456789/") == std::string::npos &&
            word.find('/', slash + 1) == std::string::npos)
            partial = std::stoull(word.substr(0, slash)) < std::stoull(word.substr(slash + 1));
        out += partial ? "<partial>" + word.substr(slash) : word;
        if (end < text.size()) out += text[end];
        pos = end + 1;
    }
    return out;
}

}  // namespace dmemu::cli_test
