// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/target_args.hpp"

#include <cctype>
#include <limits>

namespace dmemu::emu {

namespace {

// strtoull-like scan, as the kernel's vsscanf %llu: skips leading whitespace, accepts an
// optional sign ('-' negates modulo 2^64, as simple_strtoull does), at least one digit.
// Returns the value and the number of characters consumed, or nullopt when no digit.
std::optional<std::pair<std::uint64_t, std::size_t>> scan_ull(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
        negative = s[i] == '-';
        ++i;
    }
    const std::size_t first_digit = i;
    std::uint64_t v = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        v = v * 10 + static_cast<std::uint64_t>(s[i] - '0');
        ++i;
    }
    if (i == first_digit) return std::nullopt;
    return std::make_pair(negative ? 0 - v : v, i);
}

}  // namespace

std::optional<std::uint64_t> parse_ull(std::string_view word) {
    auto r = scan_ull(word);
    if (!r || r->second != word.size()) return std::nullopt;
    return r->first;
}

std::optional<std::uint32_t> parse_uint(std::string_view word) {
    auto v = parse_ull(word);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
}

std::optional<std::uint32_t> kstrtouint(std::string_view word) {
    if (!word.empty() && word.back() == '\n') word.remove_suffix(1);
    if (word.empty() || word.front() == '+') {
        if (!word.empty()) word.remove_prefix(1);
        if (word.empty()) return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : word) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

std::optional<std::string_view> ArgSet::shift() {
    if (pos_ >= args_.size()) return std::nullopt;
    return std::string_view(args_[pos_++]);
}

std::optional<unsigned> ArgSet::read(unsigned min, unsigned max, const char* message,
                                     std::string* error) {
    std::optional<std::uint32_t> v;
    if (pos_ < args_.size()) v = kstrtouint(args_[pos_]);
    if (!v || *v < min || *v > max) {
        *error = message;
        return std::nullopt;
    }
    ++pos_;
    return *v;
}

std::optional<unsigned> ArgSet::read_group(unsigned min, unsigned max, const char* message,
                                           std::string* error) {
    auto v = read(min, max, message, error);
    if (!v) return std::nullopt;
    if (*v > remaining()) {
        *error = message;
        --pos_;
        return std::nullopt;
    }
    return v;
}

}  // namespace dmemu::emu
