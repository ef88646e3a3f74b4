// SPDX-License-Identifier: GPL-2.0-only
// Where create and load get their table (dmsetup.c _parse_file): --table TEXT, else the FILE
// argument, else standard input. Each line "START LENGTH TYPE PARAMS"; blank lines and lines
// starting with '#' are skipped, and '#' after the type starts a comment (as _parse_line's
// strchr does). Errors use dmsetup's words: "Invalid format on line N of table <where>." where
// <where> is "" for --table, the file name, or "on stdin"; "Couldn't open 'F' for reading.".
#pragma once

#include <optional>
#include <vector>

#include "emu/core/table_spec.hpp"
#include "tools/dmsetup/session.hpp"

namespace dmemu::dmsetup {

// nullopt after logging the error; an empty vector when the input holds no targets.
std::optional<std::vector<emu::TargetSpec>> read_table(Session& s, const std::string* file);

// The parsing alone (tests and read_table): strips mid-line comments, then libdm's parser.
std::optional<std::vector<emu::TargetSpec>> parse_table_input(std::string_view text,
                                                              std::string_view where,
                                                              std::string* error);

}  // namespace dmemu::dmsetup
