// SPDX-License-Identifier: GPL-2.0-only
// Scenario text to logical lines of words, with the shell's quoting so a dm step reads exactly
// as the dmsetup command line it stands for:
//   'single quotes' keep everything literally; "double quotes" take \" \\ \$ escapes;
//   a backslash outside quotes escapes the next character; a backslash at the end of a line
//   continues it on the next; '#' at the start of a word comments out the rest of the line.
// A line may open with a guard, "[uuid] ..." (modes.hpp). Blank and comment-only lines vanish.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "emu/sim/modes.hpp"
#include "emu/sim/source.hpp"

namespace dmemu::scenario {

struct LogicalLine {
    SourceLocation at;  // the first physical line
    ModeSet modes = ModeSet::all();
    bool guarded = false;
    std::vector<std::string> words;
    std::string text;  // the source text, continuation lines joined, guard included
};

// Throws ParseError on an unterminated quote, a bad guard, or a guard with nothing after it.
std::vector<LogicalLine> lex(std::string_view text, const std::string& file);

}  // namespace dmemu::scenario
