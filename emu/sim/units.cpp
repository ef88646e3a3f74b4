// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/units.hpp"

#include <fmt/format.h>

#include <charconv>

namespace dmemu::scenario {

namespace {

// The leading decimal number and the rest of the word.
std::optional<std::pair<std::uint64_t, std::string_view>> number_and_suffix(std::string_view w) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(w.data(), w.data() + w.size(), v, 10);
    if (ec != std::errc{} || p == w.data()) return std::nullopt;
    return std::make_pair(v, w.substr(static_cast<std::size_t>(p - w.data())));
}

std::optional<std::uint64_t> times(std::uint64_t v, std::uint64_t unit) {
    if (unit != 0 && v > UINT64_MAX / unit) return std::nullopt;
    return v * unit;
}

}  // namespace

std::optional<std::uint64_t> parse_size_bytes(std::string_view word) {
    auto ns = number_and_suffix(word);
    if (!ns) return std::nullopt;
    auto [v, suffix] = *ns;
    if (suffix.empty() || suffix == "b" || suffix == "B") return v;
    if (suffix == "s") return times(v, 512);
    if (suffix == "k" || suffix == "K" || suffix == "KiB") return times(v, 1024);
    if (suffix == "m" || suffix == "M" || suffix == "MiB") return times(v, 1024 * 1024);
    if (suffix == "g" || suffix == "G" || suffix == "GiB") return times(v, 1024ull * 1024 * 1024);
    return std::nullopt;
}

std::optional<emu::Duration> parse_duration(std::string_view word) {
    using namespace std::chrono;
    auto ns = number_and_suffix(word);
    if (!ns) return std::nullopt;
    auto [v, suffix] = *ns;
    std::uint64_t unit_ns = 0;
    if (suffix.empty() && v == 0) return emu::Duration{};  // "0" needs no unit
    if (suffix == "ns")
        unit_ns = 1;
    else if (suffix == "us")
        unit_ns = 1000;
    else if (suffix == "ms")
        unit_ns = 1000 * 1000;
    else if (suffix == "s")
        unit_ns = 1000ull * 1000 * 1000;
    else if (suffix == "m" || suffix == "min")
        unit_ns = 60ull * 1000 * 1000 * 1000;
    else if (suffix == "h")
        unit_ns = 3600ull * 1000 * 1000 * 1000;
    else
        return std::nullopt;
    auto total = times(v, unit_ns);
    if (!total || *total > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return emu::Duration(static_cast<std::int64_t>(*total));
}

std::string format_duration(emu::Duration d) {
    const auto ns = d.count();
    if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
    if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
    if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
    return fmt::format("{}ns", ns);
}

}  // namespace dmemu::scenario
