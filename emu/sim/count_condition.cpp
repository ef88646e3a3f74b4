// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/count_condition.hpp"

#include <charconv>

namespace dmemu::scenario {

std::optional<CountCondition> CountCondition::parse(std::string_view word) {
    const auto at = word.find_first_of("=<>");
    if (at == std::string_view::npos || at == 0) return std::nullopt;
    CountCondition c;
    c.key = std::string(word.substr(0, at));
    std::string_view rest = word.substr(at);
    if (rest.rfind(">=", 0) == 0) {
        c.op = Op::ge;
        rest.remove_prefix(2);
    } else if (rest.rfind("<=", 0) == 0) {
        c.op = Op::le;
        rest.remove_prefix(2);
    } else if (rest.rfind("=", 0) == 0) {
        c.op = Op::eq;
        rest.remove_prefix(1);
    } else {
        return std::nullopt;
    }
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), c.n, 10);
    if (ec != std::errc{} || p != rest.data() + rest.size() || rest.empty()) return std::nullopt;
    return c;
}

}  // namespace dmemu::scenario
