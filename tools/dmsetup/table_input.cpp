// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/table_input.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

namespace dmemu::dmsetup {

namespace {

constexpr std::size_t kMaxTypeName = 16;  // DM_MAX_TYPE_NAME

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

// _parse_line cuts a line at the first '#' after its third word.
std::string strip_comments(std::string_view text) {
    std::string out;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        std::size_t i = 0;
        while (i < line.size() && is_space(line[i])) ++i;
        if (i >= line.size() || line[i] != '#') {
            for (int word = 0; word < 3; ++word) {
                while (i < line.size() && is_space(line[i])) ++i;
                while (i < line.size() && !is_space(line[i])) ++i;
            }
            if (const auto hash = line.find('#', i); hash != std::string_view::npos)
                line = line.substr(0, hash);
        }
        out.append(line);
        out.push_back('\n');
    }
    return out;
}

}  // namespace

std::optional<std::vector<emu::TargetSpec>> parse_table_input(std::string_view text,
                                                              std::string_view where,
                                                              std::string* error) {
    auto targets = emu::parse_table_text(strip_comments(text), where, error);
    if (!targets) {
        *error += ".";  // dmsetup ends the sentence
        return std::nullopt;
    }
    for (const auto& t : *targets) {
        if (t.type.size() >= kMaxTypeName) {
            *error = "Target type name " + t.type + " is too long.";
            return std::nullopt;
        }
    }
    return targets;
}

std::optional<std::vector<emu::TargetSpec>> read_table(Session& s, const std::string* file) {
    std::string text;
    std::string where;
    if (s.opts.table) {
        text = *s.opts.table;
    } else if (file) {
        std::ifstream in(*file);
        if (!in) {
            s.errorf("Couldn't open '{}' for reading.", *file);
            return std::nullopt;
        }
        std::ostringstream buf;
        buf << in.rdbuf();
        text = buf.str();
        where = *file;
    } else {
        text = s.stdin_text();
        where = "on stdin";
    }
    std::string error;
    auto targets = parse_table_input(text, where, &error);
    if (!targets) s.error(error);
    return targets;
}

}  // namespace dmemu::dmsetup
