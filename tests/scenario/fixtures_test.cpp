// SPDX-License-Identifier: GPL-2.0-only
// The UUID-collision fixtures in all three server modes (dm-spec sections 0 and 3.4): with
// (uuid, luid) each passes; in a legacy mode each fails in the specific way that mode fails for
// its sequence, or, where the mode survives it, passes. A legacy run must fail on exactly the
// lines listed here, with these words, and every line guarded for that mode (the mechanism:
// which log object each request reached, the status, which regions differ) must have run and
// passed. Legacy runs leave I/O stuck, so they run in a child process.
#include <map>
#include <nlohmann/json.hpp>

#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

struct Failure {
    std::string step;   // the line as written, up to its first newline (a prefix suffices)
    std::string words;  // found in the failure message
};

struct Case {
    std::string fixture;
    MatchMode mode;
    std::vector<Failure> failures;  // empty: the run passes
};

std::string mode_name(MatchMode m) {
    std::string s(logs::to_string(m));
    for (auto& c : s)
        if (c == '+' || c == '-') c = '_';
    return s;
}

const std::vector<Case>& cases() {
    static const std::vector<Case> all = {
        {"pvmove-swap.scn", MatchMode::uuid_luid, {}},
        {"pvmove-swap.scn",
         MatchMode::uuid,
         {{"io write lv 1532k 4k", "did not finish within 30s of virtual time (hung)"},
          {"wait-sync pvmove0", "not in sync after 30s: 16/32"},
          {"io drain", "still waiting for I/O after 30s (held)"},
          {"expect legs-identical pvmove0", "differ in 16 of 32 regions (16-31)"}}},
        {"pvmove-swap.scn",
         MatchMode::uuid_first,
         {{"io write lv 1532k 4k", "did not finish within 30s of virtual time (hung)"},
          {"wait-sync pvmove0", "not in sync after 30s: 0/32"},
          {"io drain", "still waiting for I/O after 30s (held)"},
          {"expect legs-identical pvmove0", "differ in 31 of 32 regions (1-31)"}}},
        {"load-then-clear.scn", MatchMode::uuid_luid, {}},
        {"load-then-clear.scn", MatchMode::uuid, {}},
        {"load-then-clear.scn",
         MatchMode::uuid_first,
         {{"expect status lv", "0 2048 mirror 2 7:0 7:1 0/32 1 AA userspace 1 COM_FAILURE"},
          {"expect legs-identical lv", "differ in 32 of 32 regions (0-31)"}}},
        {"mirror-resize.scn", MatchMode::uuid_luid, {}},
        {"mirror-resize.scn",
         MatchMode::uuid,
         {{"io write lv 2044k 4k", "did not finish within 30s of virtual time (hung)"},
          {"wait-sync lv", "not in sync after 30s: 32/64"},
          {"io drain", "still waiting for I/O after 30s (held)"},
          {"expect legs-identical lv", "differ in 32 of 64 regions (32-63)"}}},
        {"mirror-resize.scn",
         MatchMode::uuid_first,
         {{"io write lv 2044k 4k", "did not finish within 30s of virtual time (hung)"},
          {"wait-sync lv", "not in sync after 30s: 0/64"},
          {"io drain", "3 background workers still waiting for I/O after 30s (held)"},
          {"expect legs-identical lv", "differ in 32 of 64 regions (32-63)"}}},
        {"pvmove-abort.scn", MatchMode::uuid_luid, {}},
        {"pvmove-abort.scn",
         MatchMode::uuid,
         {{"io write lv 1532k 4k", "did not finish within 30s of virtual time (hung)"},
          {"expect table lv", "0 3072 linear 253:1 0"}}},
        {"pvmove-abort.scn",
         MatchMode::uuid_first,
         {{"io write lv 1532k 4k", "did not finish within 30s of virtual time (hung)"},
          {"expect table lv", "0 3072 linear 253:1 0"}}},
        {"log-server-timeouts.scn", MatchMode::uuid_luid, {}},
        {"log-server-timeouts.scn", MatchMode::uuid, {}},
        {"log-server-timeouts.scn", MatchMode::uuid_first, {}},
    };
    return all;
}

class FixtureModes : public ::testing::TestWithParam<Case> {};

TEST_P(FixtureModes, PassOrFailInTheSpecificWay) {
    const Case& c = GetParam();
    const Scenario s = load_fixture(c.fixture);
    for (std::uint64_t seed : {1, 2, 3}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const Outcome o = c.failures.empty() && c.mode == MatchMode::uuid_luid
                              ? [&] {
                                    std::vector<std::string> trace;
                                    RunOptions ro;
                                    ro.seed = seed;
                                    ro.match = c.mode;
                                    ro.trace = [&](const std::string& l) { trace.push_back(l); };
                                    const RunResult r = run_scenario(s, ro);
                                    return to_outcome(r, std::move(trace));
                                }()
                              : run_isolated(s, seed, c.mode, true);
        EXPECT_TRUE(o.determinism.empty());
        std::string all;
        for (std::size_t i = 0; i < o.failed.size(); ++i)
            all += o.failed[i] + "\n    " + o.messages[i] + "\n";
        ASSERT_EQ(o.failed.size(), c.failures.size()) << all;
        EXPECT_EQ(o.passed, c.failures.empty());
        for (std::size_t i = 0; i < c.failures.size(); ++i) {
            const auto text = o.failed[i].substr(o.failed[i].find(": ") + 2);
            EXPECT_EQ(text.rfind(c.failures[i].step, 0), 0u) << o.failed[i];
            EXPECT_NE(o.messages[i].find(c.failures[i].words), std::string::npos)
                << o.failed[i] << "\n    " << o.messages[i];
        }
        // Every line guarded for this mode ran, and passed (its failure would be listed above).
        std::map<int, bool> ran;
        for (const auto& line : o.trace) {
            auto j = nlohmann::json::parse(line);
            if (j["kind"] == "expect" || j["kind"] == "result") ran[j["line"]] = j["ok"];
        }
        int guarded = 0;
        for (const auto& st : s.steps) {
            if (!st.line.guarded || !st.line.modes.contains(c.mode)) continue;
            ++guarded;
            ASSERT_TRUE(ran.count(st.line.at.line)) << "did not run: " << st.line.text;
            EXPECT_TRUE(ran[st.line.at.line]) << st.line.text;
        }
        if (c.fixture != "log-server-timeouts.scn") {
            EXPECT_GT(guarded, 2);
        }
    }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
    std::string f = info.param.fixture.substr(0, info.param.fixture.find('.'));
    for (auto& ch : f)
        if (ch == '-') ch = '_';
    return f + "_" + mode_name(info.param.mode);
}

INSTANTIATE_TEST_SUITE_P(All, FixtureModes, ::testing::ValuesIn(cases()), case_name);

}  // namespace
}  // namespace dmemu::scenario::test
