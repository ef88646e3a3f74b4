// SPDX-License-Identifier: GPL-2.0-only
// The static half of the determinism check: no source the scenario engine runs may read a clock
// or draw randomness except through the Clock and the Rng. A line may carry
// "nondeterminism-ok" with a reason (sweep progress, which runs outside any scenario).
#pragma once

#include <string>
#include <vector>

namespace dmemu::scenario::test {

// "LINE: what" for each forbidden call in the text.
inline std::vector<std::string> find_nondeterminism(const std::string& text) {
    static const char* const kForbidden[] = {
        "std::random_device",    "steady_clock::now", "system_clock::now",
        "high_resolution_clock", "std::rand(",        "srand(",
        "time(nullptr)",         "time(NULL)",        "gettimeofday",
        "clock_gettime",         "getrandom(",        "arc4random"};
    std::vector<std::string> out;
    std::size_t start = 0;
    for (int line = 1; start <= text.size(); ++line) {
        const auto end = text.find('\n', start);
        const std::string l =
            text.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (l.find("nondeterminism-ok") == std::string::npos)
            for (const char* f : kForbidden)
                if (l.find(f) != std::string::npos) out.push_back(std::to_string(line) + ": " + f);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

}  // namespace dmemu::scenario::test
