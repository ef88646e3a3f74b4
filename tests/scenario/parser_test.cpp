// SPDX-License-Identifier: GPL-2.0-only
// Lines to steps: every kind registered once with a usage line, FILE:LINE errors that say what
// was expected, sizes and durations, match-mode guards.
#include <gtest/gtest.h>

#include "emu/sim/count_condition.hpp"
#include "emu/sim/scenario.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/text_match.hpp"
#include "emu/sim/units.hpp"

namespace dmemu::scenario {
namespace {

::testing::AssertionResult starts_with(const std::string& text, const std::string& prefix) {
    if (text.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "'" << text << "' does not start with '" << prefix << "'";
}

std::string error_of(const std::string& text) {
    try {
        parse_scenario(text, "f.scn", builtin_step_registry());
    } catch (const ParseError& e) {
        return e.what();
    }
    return "no error";
}

TEST(ScenarioParser, EveryFamilyRegistersItsKindsWithAUsage) {
    std::set<std::string> names;
    for (const auto* k : builtin_step_registry().kinds()) {
        names.emplace(k->name);
        EXPECT_FALSE(k->usage.empty()) << k->name;
    }
    for (const char* n : {"create",
                          "load",
                          "suspend",
                          "resume",
                          "clear",
                          "remove",
                          "rename",
                          "message",
                          "status",
                          "table",
                          "info",
                          "disk",
                          "advance",
                          "mark",
                          "io write",
                          "io read",
                          "io verify",
                          "io background",
                          "io stop",
                          "io drain",
                          "wait-sync",
                          "crash-log-server",
                          "restart-log-server",
                          "freeze-log-server",
                          "thaw-log-server",
                          "expect status",
                          "expect table",
                          "expect output",
                          "expect error",
                          "expect hang",
                          "expect kernel-log",
                          "expect legs-identical",
                          "expect data-intact",
                          "expect io",
                          "expect log-request"})
        EXPECT_TRUE(names.count(n)) << n;
}

TEST(ScenarioParser, RegisteringAKindTwiceIsRefused) {
    StepRegistry r;
    register_world_steps(r);
    EXPECT_THROW(register_world_steps(r), std::logic_error);
}

TEST(ScenarioParser, ParsesStepsWithTheirLinesAndGuards) {
    auto s =
        parse_scenario("disk a 1M\n[uuid] expect status x 'y'\n", "f.scn", builtin_step_registry());
    ASSERT_EQ(s.steps.size(), 2u);
    EXPECT_EQ(s.steps[1].line.at.line, 2);
    EXPECT_FALSE(s.steps[1].line.modes.contains(MatchMode::uuid_luid));
    EXPECT_TRUE(s.steps[1].step->is_expectation());
    EXPECT_FALSE(s.steps[0].step->is_expectation());
    EXPECT_EQ(s.hash, text_hash(s.text));
    EXPECT_NE(s.hash, text_hash(s.text + " "));
}

TEST(ScenarioParser, UnknownStepSaysWhatWasExpected) {
    EXPECT_EQ(
        error_of("disk a 1M\nfrobnicate x\n"),
        "f.scn:2: unknown step 'frobnicate': expected a dm step (create, load, suspend, ...), "
        "a world step (disk, io, wait-sync, advance, ...) or an expectation (expect status, "
        "...); see docs/scenarios.md");
    EXPECT_TRUE(
        starts_with(error_of("expect nothing x\n"), "f.scn:1: unknown step 'expect nothing': e"));
}

TEST(ScenarioParser, ArgumentErrorsNameTheStepAndItsUsage) {
    EXPECT_EQ(error_of("disk a\n"),
              "f.scn:1: disk: expected 2 arguments, got 1 (usage: disk NAME SIZE [devno=MAJ:MIN])");
    EXPECT_EQ(error_of("disk a 1Q\n"),
              "f.scn:1: disk: expected the disk size as a size (512, 8s, 4k, 1M), got '1Q' (usage: "
              "disk NAME SIZE [devno=MAJ:MIN])");
    for (const char* bad : {"5", "5MiB", "0MiB/s", "fast/s", "5MiB/h"})
        EXPECT_EQ(error_of(std::string("copy-bandwidth ") + bad + "\n"),
                  std::string("f.scn:1: copy-bandwidth: expected a rate such as 4MiB/s or 512k/s, "
                              "or unlimited, got '") +
                      bad + "' (usage: copy-bandwidth RATE|unlimited)");
    EXPECT_EQ(error_of("copy-bandwidth 4MiB/s\ncopy-bandwidth 512k/s\ncopy-bandwidth unlimited\n"),
              "no error");
    EXPECT_EQ(error_of("disk a 1M devno=7\n"),
              "f.scn:1: disk: expected devno=MAJOR:MINOR, got '7' (usage: disk NAME SIZE "
              "[devno=MAJ:MIN])");
    EXPECT_TRUE(
        starts_with(error_of("advance soon\n"),
                    "f.scn:1: advance: expected how long as a duration (250ms, 15s, 2m), go"));
    EXPECT_TRUE(starts_with(
        error_of("io write lv 1 4k\n"),
        "f.scn:1: io write: expected a sector-aligned offset and a non-zero sector-aligned"));
    EXPECT_TRUE(starts_with(error_of("io background lv color=red\n"),
                            "f.scn:1: io background: unknown option 'color' (us"));
    EXPECT_TRUE(
        starts_with(error_of("expect log-request NOPE\n"),
                    "f.scn:1: expect log-request: expected a request type such as RESUME, DTR or "
                    "GET_SYNC_COUNT, g"));
    EXPECT_TRUE(
        starts_with(error_of("expect log-request DTR luid=L\n"),
                    "f.scn:1: expect log-request: expected luid=NEW|OLD|L<n>, got 'L' (usage"));
    EXPECT_TRUE(starts_with(error_of("expect status a '/[/'\n"),
                            "f.scn:1: expect status: expected a valid regex, got /[/: "));
    EXPECT_TRUE(starts_with(error_of("expect error 'x'\n"),
                            "f.scn:1: expect error: expected TEXT and the step that must fa"));
    EXPECT_TRUE(
        starts_with(error_of("expect error 'x' bogus\n"), "f.scn:1: unknown step 'bogus': e"));
    EXPECT_TRUE(
        starts_with(error_of("expect hang status x\n"),
                    "f.scn:1: expect hang: expected timeout=DURATION and the step that must "));
    EXPECT_TRUE(starts_with(error_of("expect io lv stuck>=1\n"),
                            "f.scn:1: expect io: expected a condition like pending>=1 on "));
    EXPECT_EQ(error_of("wait-sync\n"),
              "f.scn:1: wait-sync: expected 1 argument, got 0 (usage: wait-sync DEVICE "
              "[timeout=10m] [interval=1s])");
}

TEST(ScenarioUnits, SizesAndDurations) {
    EXPECT_EQ(parse_size_bytes("512"), 512u);
    EXPECT_EQ(parse_size_bytes("8s"), 4096u);
    EXPECT_EQ(parse_size_bytes("4k"), 4096u);
    EXPECT_EQ(parse_size_bytes("4KiB"), 4096u);
    EXPECT_EQ(parse_size_bytes("2M"), 2u << 20);
    EXPECT_EQ(parse_size_bytes("1G"), 1u << 30);
    EXPECT_FALSE(parse_size_bytes("4x"));
    EXPECT_FALSE(parse_size_bytes(""));
    EXPECT_FALSE(parse_size_bytes("99999999999999999999G"));
    EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
    EXPECT_EQ(parse_duration("15s"), std::chrono::seconds(15));
    EXPECT_EQ(parse_duration("2m"), std::chrono::minutes(2));
    EXPECT_EQ(parse_duration("0"), emu::Duration{});
    EXPECT_FALSE(parse_duration("5"));
    EXPECT_FALSE(parse_duration("1d"));
    EXPECT_EQ(format_duration(std::chrono::seconds(30)), "30s");
    EXPECT_EQ(format_duration(std::chrono::milliseconds(1500)), "1500ms");
}

TEST(ScenarioUnits, TextMatchExactOrRegex) {
    std::string err;
    auto exact = TextMatch::parse("a b", &err);
    ASSERT_TRUE(exact);
    EXPECT_TRUE(exact->matches("a b"));
    EXPECT_FALSE(exact->matches("a b "));
    EXPECT_TRUE(exact->found_in("xa by"));
    auto re = TextMatch::parse("/^0 [0-9]+\\/32/", &err);
    ASSERT_TRUE(re);
    EXPECT_TRUE(re->matches("0 16/32 x"));
    EXPECT_FALSE(re->matches("1 16/32"));
    EXPECT_FALSE(TextMatch::parse("/(/", &err));
}

TEST(ScenarioUnits, CountConditions) {
    auto c = CountCondition::parse("pending>=2");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->key, "pending");
    EXPECT_FALSE(c->holds(1));
    EXPECT_TRUE(c->holds(2));
    EXPECT_TRUE(CountCondition::parse("count=0")->holds(0));
    EXPECT_FALSE(CountCondition::parse("count<=1")->holds(2));
    EXPECT_FALSE(CountCondition::parse("count>x"));
    EXPECT_FALSE(CountCondition::parse("=1"));
}

}  // namespace
}  // namespace dmemu::scenario
