// SPDX-License-Identifier: GPL-2.0-only
// Scenario text to words: the shell's quoting, quotes across lines (multi-target tables),
// continuations, comments, guards, and FILE:LINE errors.
#include "emu/sim/lexer.hpp"

#include <gtest/gtest.h>

namespace dmemu::scenario {
namespace {

using Words = std::vector<std::string>;

std::string error_of(const std::string& text) {
    try {
        lex(text, "f.scn");
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

TEST(ScenarioLexer, SplitsWordsAndDropsCommentsAndBlankLines) {
    auto lines = lex("# head\n\ndisk a 2M   # trailing\n  advance 1s\n", "f.scn");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].words, (Words{"disk", "a", "2M"}));
    EXPECT_EQ(lines[0].at.line, 3);
    EXPECT_EQ(lines[1].words, (Words{"advance", "1s"}));
    EXPECT_EQ(lines[1].at.line, 4);
}

TEST(ScenarioLexer, QuotesAsTheShellDoes) {
    auto lines = lex(R"(create a --table '0 8 zero' "x \"y\" \\ z" a\ b it's#not)"
                     "'",
                     "f.scn");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0].words,
              (Words{"create", "a", "--table", "0 8 zero", "x \"y\" \\ z", "a b", "its#not"}));
}

TEST(ScenarioLexer, QuotesSpanLinesForMultiTargetTables) {
    auto lines = lex("load a --table '0 8 zero\n8 8 zero'\nadvance 1s\n", "f.scn");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].words.back(), "0 8 zero\n8 8 zero");
    EXPECT_EQ(lines[1].at.line, 3);
}

TEST(ScenarioLexer, BackslashNewlineContinues) {
    auto lines = lex("io background lv \\\n  writers=2\nmark m\n", "f.scn");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].words, (Words{"io", "background", "lv", "writers=2"}));
    EXPECT_EQ(lines[1].at.line, 3);
}

TEST(ScenarioLexer, GuardsSelectModes) {
    auto lines =
        lex("[uuid] a\n[legacy] b\n[!uuid+luid] c\n[uuid+luid,uuid-first] d\ne\n", "f.scn");
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0].modes.str(), "uuid");
    EXPECT_EQ(lines[1].modes.str(), "uuid,uuid-first");
    EXPECT_EQ(lines[2].modes.str(), "uuid,uuid-first");
    EXPECT_EQ(lines[3].modes.str(), "uuid+luid,uuid-first");
    EXPECT_TRUE(lines[4].modes.is_all());
    EXPECT_FALSE(lines[4].guarded);
    EXPECT_EQ(lines[0].words, (Words{"a"}));
}

TEST(ScenarioLexer, ErrorsNameFileLineAndWhatWasExpected) {
    EXPECT_EQ(error_of("a\nb 'open\n"), "f.scn:2: unterminated ' quote: expected a closing '");
    EXPECT_EQ(error_of("a \"x\n"), "f.scn:1: unterminated \" quote: expected a closing \"");
    EXPECT_EQ(error_of("\n[uuid\n"),
              "f.scn:2: unterminated guard: expected ']' after '[' (e.g. [uuid] expect ...)");
    EXPECT_EQ(error_of("[luid] x\n"),
              "f.scn:1: expected a match mode in the guard (uuid+luid, uuid, uuid-first, legacy, "
              "all), got 'luid'");
    EXPECT_EQ(error_of("[uuid]   # nothing\n"), "f.scn:1: expected a step after the guard");
}

}  // namespace
}  // namespace dmemu::scenario
