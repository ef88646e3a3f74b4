// SPDX-License-Identifier: GPL-2.0-only
// Guards: a step or expectation that applies only in some log-server match modes.
//
//   [uuid+luid] expect status pv '...'     only with the (uuid, luid) server
//   [uuid] expect ...                      only with the historic reference-counting server
//   [uuid-first] ...                       only with separate instances found by uuid alone
//   [legacy] ...                           uuid and uuid-first
//   [uuid,uuid-first] ...                  a list; [!uuid] every mode but uuid
// An unguarded line runs in every mode.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "logs/userspace/log_server.hpp"

namespace dmemu::scenario {

using logs::MatchMode;

inline constexpr MatchMode kAllModes[] = {MatchMode::uuid_luid, MatchMode::uuid,
                                          MatchMode::uuid_first};

class ModeSet {
public:
    static ModeSet all() { return ModeSet(0b111); }
    static ModeSet none() { return ModeSet(0); }
    static ModeSet of(MatchMode m) { return ModeSet(bit(m)); }

    bool contains(MatchMode m) const { return (bits_ & bit(m)) != 0; }
    bool is_all() const { return bits_ == 0b111; }
    // The guard's inside ("uuid,uuid-first", "!uuid", "legacy"); nullopt and *error set when a
    // word is not a mode.
    static std::optional<ModeSet> parse(std::string_view inside, std::string* error);
    // "uuid+luid,uuid" (every mode named, in kAllModes order).
    std::string str() const;

private:
    explicit ModeSet(unsigned bits) : bits_(bits) {}
    static unsigned bit(MatchMode m) { return 1u << static_cast<unsigned>(m); }
    unsigned bits_;
};

}  // namespace dmemu::scenario
