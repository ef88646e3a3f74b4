// SPDX-License-Identifier: GPL-2.0-only
#include "emu/faults/fault_spec.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace dmemu::emu {

namespace {

std::vector<std::string_view> split_words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t\n", pos);
        if (start == std::string_view::npos) break;
        const std::size_t end = std::min(text.find_first_of(" \t\n", start), text.size());
        words.push_back(text.substr(start, end - start));
        pos = end;
    }
    return words;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

// "FIRST-LAST" or "SECTOR", inclusive.
std::optional<SectorRange> parse_sector_range(std::string_view s) {
    const std::size_t dash = s.find('-');
    const auto first = parse_u64(s.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_u64(s.substr(dash + 1));
    if (!first || !last || *last < *first || *last == UINT64_MAX) return std::nullopt;
    return SectorRange{*first, *last + 1};
}

bool add_op(IoMatch& m, std::string_view op) {
    if (op == "read")
        m.read = true;
    else if (op == "write")
        m.write = true;
    else if (op == "flush")
        m.flush = true;
    else if (op == "discard")
        m.discard = true;
    else if (op == "both")
        m.read = m.write = true;
    else if (op == "any")
        m.read = m.write = m.flush = m.discard = true;
    else
        return false;
    return true;
}

}  // namespace

std::optional<FaultSpec> tokenize_fault_spec(std::string_view text, std::string* error) {
    const auto words = split_words(text);
    if (words.empty()) {
        *error = "fault: empty spec";
        return std::nullopt;
    }
    FaultSpec spec;
    spec.kind = std::string(words[0]);
    for (std::size_t i = 1; i < words.size(); ++i) {
        const std::string_view w = words[i];
        const std::size_t eq = w.find('=');
        if (eq == std::string_view::npos) {
            spec.flags.emplace_back(w);
            continue;
        }
        std::string key(w.substr(0, eq));
        for (const auto& [k, v] : spec.params) {
            if (k == key) {
                *error = fmt::format("fault: {}: parameter '{}' given twice", spec.kind, key);
                return std::nullopt;
            }
        }
        spec.params.emplace_back(std::move(key), std::string(w.substr(eq + 1)));
    }
    return spec;
}

SpecReader::SpecReader(const FaultSpec& spec)
    : spec_(spec), used_params_(spec.params.size()), used_flags_(spec.flags.size()) {}

std::optional<std::string_view> SpecReader::value(std::string_view key) {
    for (std::size_t i = 0; i < spec_.params.size(); ++i) {
        if (spec_.params[i].first == key) {
            used_params_[i] = true;
            return std::string_view(spec_.params[i].second);
        }
    }
    return std::nullopt;
}

bool SpecReader::flag(std::string_view name) {
    bool found = false;
    for (std::size_t i = 0; i < spec_.flags.size(); ++i) {
        if (spec_.flags[i] == name) {
            used_flags_[i] = true;
            found = true;
        }
    }
    return found;
}

IoMatch SpecReader::match(IoMatch fallback) {
    IoMatch m = fallback;
    if (const auto ops = value("op")) {
        m.read = m.write = m.flush = m.discard = false;
        std::string_view rest = *ops;
        for (;;) {
            const std::size_t comma = rest.find(',');
            const std::string_view op = rest.substr(0, comma);
            if (!add_op(m, op)) {
                fail(fmt::format("bad op '{}' (read, write, flush, discard, both, any)", *ops));
                return fallback;
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
        }
    }
    if (const auto sectors = value("sectors")) {
        m.range = parse_sector_range(*sectors);
        if (!m.range) {
            fail(fmt::format("bad sector range '{}' (FIRST-LAST or SECTOR)", *sectors));
            return fallback;
        }
    }
    return m;
}

double SpecReader::probability(std::string_view key, double fallback) {
    const auto text = value(key);
    if (!text) return fallback;
    double p = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), p);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size() ||
        !std::isfinite(p) || p < 0.0 || p > 1.0) {
        fail(fmt::format("{} '{}' is not a probability in [0, 1]", key, *text));
        return fallback;
    }
    return p;
}

std::optional<std::uint64_t> SpecReader::number(std::string_view key) {
    const auto text = value(key);
    if (!text) return std::nullopt;
    const auto v = parse_u64(*text);
    if (!v) fail(fmt::format("bad number {}='{}'", key, *text));
    return v;
}

void SpecReader::fail(const std::string& message) {
    if (error_.empty()) error_ = fmt::format("fault: {}: {}", spec_.kind, message);
}

bool SpecReader::finish() {
    for (std::size_t i = 0; i < spec_.params.size(); ++i)
        if (!used_params_[i]) fail(fmt::format("unknown parameter '{}'", spec_.params[i].first));
    for (std::size_t i = 0; i < spec_.flags.size(); ++i)
        if (!used_flags_[i]) fail(fmt::format("unknown parameter '{}'", spec_.flags[i]));
    return ok();
}

std::optional<Duration> parse_fault_duration(std::string_view text) {
    const std::size_t unit_at = text.find_first_not_of("0123456789");
    if (unit_at == 0 || unit_at == std::string_view::npos) return std::nullopt;
    const auto n = parse_u64(text.substr(0, unit_at));
    if (!n) return std::nullopt;
    const std::string_view unit = text.substr(unit_at);
    std::uint64_t ns_per_unit = 0;
    if (unit == "ns")
        ns_per_unit = 1;
    else if (unit == "us")
        ns_per_unit = 1'000;
    else if (unit == "ms")
        ns_per_unit = 1'000'000;
    else if (unit == "s")
        ns_per_unit = 1'000'000'000;
    else
        return std::nullopt;
    // Refuse what would overflow the signed nanosecond count.
    if (*n > (std::uint64_t(INT64_MAX) / ns_per_unit)) return std::nullopt;
    return Duration(static_cast<Duration::rep>(*n * ns_per_unit));
}

}  // namespace dmemu::emu
