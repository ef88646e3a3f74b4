// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/table_spec.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>

namespace dmemu::emu {

namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view next_word(std::string_view& s) {
    std::size_t i = 0;
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    std::string_view w = s.substr(i, j - i);
    s.remove_prefix(j);
    return w;
}

// One word as glibc's sscanf "%llu" reads it in libdm's _parse_line: optional white space, an
// optional sign ('-' negates modulo 2^64, as strtoull does), at least one digit, and here
// nothing after it. A value past 2^64 - 1 saturates there whatever its sign, as strtoull's
// ERANGE result does (sscanf keeps it): "99999999999999999999" and "-1" both read as
// 18446744073709551615 (oracle t38). (The kernel's own rules, with no sign and wrapping, are
// emu/util/kernel_scan.hpp's.)
std::optional<std::uint64_t> scanf_ull(std::string_view word) {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::size_t i = 0;
    while (i < word.size() && is_space(word[i])) ++i;
    bool negative = false;
    if (i < word.size() && (word[i] == '-' || word[i] == '+')) negative = word[i++] == '-';
    const std::size_t first_digit = i;
    std::uint64_t v = 0;
    bool overflow = false;
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i]))) {
        const auto digit = static_cast<std::uint64_t>(word[i++] - '0');
        if (v > (kMax - digit) / 10) overflow = true;
        v = v * 10 + digit;
    }
    if (i == first_digit || i != word.size()) return std::nullopt;
    if (overflow) return kMax;
    return negative ? 0 - v : v;
}

}  // namespace

std::optional<std::vector<TargetSpec>> parse_table_text(std::string_view text,
                                                        std::string_view where,
                                                        std::string* error) {
    std::vector<TargetSpec> out;
    unsigned line_no = 0;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
        ++line_no;
        // libdm _parse_line: skip leading white space, blank lines and comments.
        std::size_t i = 0;
        while (i < line.size() && is_space(line[i])) ++i;
        line.remove_prefix(i);
        if (line.empty() || line.front() == '#') continue;
        std::string_view rest = line;
        const auto start = scanf_ull(next_word(rest));
        const auto length = scanf_ull(next_word(rest));
        const std::string_view type = next_word(rest);
        if (!start || !length || type.empty()) {
            *error = fmt::format("Invalid format on line {} of table {}", line_no, where);
            return std::nullopt;
        }
        std::size_t k = 0;
        while (k < rest.size() && is_space(rest[k])) ++k;
        rest.remove_prefix(k);
        while (!rest.empty() && (rest.back() == '\r' || is_space(rest.back())))
            rest.remove_suffix(1);
        out.push_back(TargetSpec{*start, *length, std::string(type), std::string(rest)});
    }
    return out;
}

std::vector<std::string> split_args(std::string_view params) {
    std::vector<std::string> out;
    std::size_t i = 0;
    for (;;) {
        while (i < params.size() && is_space(params[i])) ++i;
        if (i >= params.size()) break;
        std::string word;
        while (i < params.size() && !is_space(params[i])) {
            if (params[i] == '\\' && i + 1 < params.size()) ++i;
            word.push_back(params[i++]);
        }
        out.push_back(std::move(word));
    }
    return out;
}

}  // namespace dmemu::emu
