// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/modes.hpp"

namespace dmemu::scenario {

std::optional<ModeSet> ModeSet::parse(std::string_view inside, std::string* error) {
    bool negate = false;
    if (!inside.empty() && inside.front() == '!') {
        negate = true;
        inside.remove_prefix(1);
    }
    unsigned bits = 0;
    std::size_t start = 0;
    for (;;) {
        const auto comma = inside.find(',', start);
        const auto word =
            inside.substr(start, comma == std::string_view::npos ? comma : comma - start);
        MatchMode m;
        if (word == "legacy") {
            bits |= bit(MatchMode::uuid) | bit(MatchMode::uuid_first);
        } else if (word == "all") {
            bits |= 0b111;
        } else if (logs::parse_match_mode(word, &m)) {
            bits |= bit(m);
        } else {
            *error =
                "expected a match mode in the guard (uuid+luid, uuid, uuid-first, legacy, all), "
                "got '" +
                std::string(word) + "'";
            return std::nullopt;
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return ModeSet(negate ? (~bits & 0b111u) : bits);
}

std::string ModeSet::str() const {
    std::string out;
    for (auto m : kAllModes)
        if (contains(m)) {
            if (!out.empty()) out += ',';
            out += logs::to_string(m);
        }
    return out;
}

}  // namespace dmemu::scenario
