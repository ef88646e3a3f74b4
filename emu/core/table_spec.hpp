// SPDX-License-Identifier: GPL-2.0-only
// A table as it crosses the ioctl boundary (struct dm_target_spec + params), and the two text
// forms around it: dmsetup's table text ("start length type params" per line, parsed in
// userspace by libdm) and the kernel's dm_split_args for the params.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/io/bio.hpp"

namespace dmemu::emu {

struct TargetSpec {
    Sector start = 0;
    Sector length = 0;
    std::string type;
    std::string params;
};

// libdm's table-text parser (dmsetup create/load --table, stdin, or a file): one target per
// non-empty line; lines starting with '#' are comments. On a malformed line returns nullopt and
// sets *error to dmsetup's words ("Invalid format on line N of table <where>").
std::optional<std::vector<TargetSpec>> parse_table_text(std::string_view text,
                                                        std::string_view where, std::string* error);

// dm_split_args: splits params on white space; a backslash escapes the next character.
std::vector<std::string> split_args(std::string_view params);

}  // namespace dmemu::emu
