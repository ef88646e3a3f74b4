// SPDX-License-Identifier: GPL-2.0-only
// `dmemu trace diff` (emu/sim/trace_diff.hpp) on the two traces the main demo compares:
// pvmove-swap.scn, seed 1, with the (uuid, luid) server and with uuid-first. They part at the
// first request of the new log (L2) after its CTR: GET_REGION_SIZE, which the uuid-first server
// answers from L1's object. Identical traces, traces that differ only in the mode's name and
// its guarded steps, and a trace cut short are checked on traces written here.
#include "emu/sim/trace_diff.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "trace_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

class TraceDiffOfTheDemo : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        luid_ = new TraceFile(fixture_trace("pvmove-swap.scn", 1, MatchMode::uuid_luid));
        first_ = new TraceFile(fixture_trace("pvmove-swap.scn", 1, MatchMode::uuid_first));
    }
    static void TearDownTestSuite() {
        delete luid_;
        delete first_;
    }
    static TraceFile *luid_, *first_;
};
TraceFile* TraceDiffOfTheDemo::luid_ = nullptr;
TraceFile* TraceDiffOfTheDemo::first_ = nullptr;

TEST_F(TraceDiffOfTheDemo, PartAtTheFirstRequestOfTheNewLogThatReachesTheOldOne) {
    const TraceDiffOptions options;
    const auto a = compared_events(*luid_, options), b = compared_events(*first_, options);
    const auto at = first_difference(a, b);
    ASSERT_TRUE(at);
    ASSERT_LT(*at, a.size());
    ASSERT_LT(*at, b.size());
    const auto& ea = a[*at].event->json;
    const auto& eb = b[*at].event->json;
    EXPECT_EQ(ea.at("kind"), "ulog");
    EXPECT_EQ(ea.at("dir"), "rep");
    EXPECT_EQ(ea.at("type"), "GET_REGION_SIZE");
    EXPECT_EQ(ea.at("luid"), "L2");
    EXPECT_EQ(ea.at("reached"), "L2");
    EXPECT_EQ(eb.at("type"), "GET_REGION_SIZE");
    EXPECT_EQ(eb.at("reached"), "L1");
    // Everything before it is the same, the run line's mode aside.
    for (std::size_t i = 0; i < *at; ++i) EXPECT_EQ(a[i].value, b[i].value) << i;
    EXPECT_NE(luid_->events.front().json["match"], first_->events.front().json["match"]);
}

TEST_F(TraceDiffOfTheDemo, ReportNamesTheStepTheFieldsAndShowsBothSides) {
    std::ostringstream out;
    TraceDiffOptions options;
    options.context = 2;
    EXPECT_EQ(diff_traces(*luid_, *first_, options, out), 1);
    const std::string text = out.str();
    EXPECT_EQ(text.rfind("--- pvmove-swap.scn@uuid+luid (seed=1 match=uuid+luid, ", 0), 0u) << text;
    EXPECT_NE(text.find("\n+++ pvmove-swap.scn@uuid-first (seed=1 match=uuid-first, "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\nin step line 51: load pvmove0 --table '0 1024 linear 7:1 0 1024 2048 "
                        "mirror userspace 3 LVM-vg0pvmove0-pvmove"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("\ndiffers in: instance 2 | 1; reached \"L2\" | \"L1\"\n"),
              std::string::npos)
        << text;
    // Two shared events before it, then three of each side from it on.
    std::size_t common = 0, minus = 0, plus = 0;
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
        if (l.rfind("  ", 0) == 0) ++common;
        if (l.rfind("- ", 0) == 0) ++minus;
        if (l.rfind("+ ", 0) == 0) ++plus;
    }
    EXPECT_EQ(common, 2u) << text;
    EXPECT_EQ(minus, 3u) << text;
    EXPECT_EQ(plus, 3u) << text;
    EXPECT_NE(text.find("\"type\":\"GET_REGION_SIZE\",\"luid\":\"L2\",\"seq\":171,\"error\":0,"
                        "\"payload\":\"64\",\"server\":1,\"instance\":1,\"reached\":\"L1\"}"),
              std::string::npos)
        << text;
}

TEST_F(TraceDiffOfTheDemo, ATraceIsIdenticalToItself) {
    std::ostringstream out;
    EXPECT_EQ(diff_traces(*first_, *first_, {}, out), 0);
    EXPECT_EQ(out.str().rfind("identical: ", 0), 0u) << out.str();
}

// Two runs of a scenario in two modes that behave alike: only the mode and the guarded lines
// differ.
const std::vector<std::string> kModeA = {
    R"({"t_us":0,"kind":"run","file":"x.scn","hash":"fnv1a64:0","seed":4,"match":"uuid+luid","steps":3})",
    R"({"t_us":0,"kind":"step","line":1,"text":"resume m"})",
    R"({"t_us":0,"kind":"result","line":1,"ok":true})",
    R"({"t_us":0,"kind":"step","line":2,"text":"[uuid+luid] expect status m 'a'"})",
    R"({"t_us":0,"kind":"expect","line":2,"ok":true})",
    R"({"t_us":5,"kind":"end","passed":true,"failures":0})",
};
const std::vector<std::string> kModeB = {
    R"({"t_us":0,"kind":"run","file":"x.scn","hash":"fnv1a64:0","seed":4,"match":"uuid-first","steps":3})",
    R"({"t_us":0,"kind":"step","line":1,"text":"resume m"})",
    R"({"t_us":0, "kind":"result", "ok":true, "line":1})",
    R"({"t_us":0,"kind":"step","line":3,"text":"[uuid-first] expect status m 'b'"})",
    R"({"t_us":0,"kind":"expect","line":3,"ok":false,"message":"no"})",
    R"({"t_us":5,"kind":"end","passed":true,"failures":0})",
};

TEST(TraceDiff, TheModesNameGuardedStepsAndKeyOrderDoNotCount) {
    std::ostringstream out;
    EXPECT_EQ(diff_traces(as_trace(kModeA, "a"), as_trace(kModeB, "b"), {}, out), 0) << out.str();
    EXPECT_EQ(out.str(),
              "identical: 4 events compared (a, b); not compared: the run line's "
              "match, guarded steps\n");
}

TEST(TraceDiff, ExactComparesTheLinesAsWritten) {
    std::ostringstream out;
    TraceDiffOptions exact;
    exact.exact = true;
    EXPECT_EQ(diff_traces(as_trace(kModeA, "a"), as_trace(kModeB, "b"), exact, out), 1);
    EXPECT_NE(out.str().find("first divergence: a:1, b:1, t_us 0\nbefore the first step\n"),
              std::string::npos)
        << out.str();
}

TEST(TraceDiff, ATraceCutShortDiffersWhereItEnds) {
    auto cut = kModeA;
    cut.pop_back();
    std::ostringstream out;
    EXPECT_EQ(diff_traces(as_trace(kModeA, "a"), as_trace(cut, "b"), {}, out), 1);
    EXPECT_NE(out.str().find("first divergence: a:6, b ended after 5 events\n"), std::string::npos)
        << out.str();
    EXPECT_NE(out.str().find("\n- 6    {\"t_us\":5,\"kind\":\"end\""), std::string::npos)
        << out.str();
}

TEST(TraceDiff, AChangedFieldIsNamedWithBothValues) {
    auto changed = kModeA;
    changed[2] = R"({"t_us":0,"kind":"result","line":1,"ok":false,"message":"hung"})";
    std::ostringstream out;
    EXPECT_EQ(diff_traces(as_trace(kModeA, "a"), as_trace(changed, "b"), {}, out), 1);
    EXPECT_NE(out.str().find("first divergence: a:3, b:3, t_us 0\nin step line 1: resume m\n"
                             "differs in: message (none) | \"hung\"; ok true | false\n"),
              std::string::npos)
        << out.str();
}

}  // namespace
}  // namespace dmemu::scenario::test
