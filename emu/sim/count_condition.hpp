// SPDX-License-Identifier: GPL-2.0-only
// "key=N", "key>=N", "key<=N" conditions of expectations (count>=1, pending>=1, failed=0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dmemu::scenario {

struct CountCondition {
    std::string key;
    enum class Op { eq, ge, le } op = Op::eq;
    std::uint64_t n = 0;

    bool holds(std::uint64_t v) const {
        return op == Op::eq ? v == n : op == Op::ge ? v >= n : v <= n;
    }
    std::string str() const {
        return key + (op == Op::eq ? "=" : op == Op::ge ? ">=" : "<=") + std::to_string(n);
    }
    // nullopt when `word` is not KEY(=|>=|<=)NUMBER.
    static std::optional<CountCondition> parse(std::string_view word);
};

}  // namespace dmemu::scenario
