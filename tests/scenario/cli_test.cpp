// SPDX-License-Identifier: GPL-2.0-only
// `dmemu run`, `dmemu run --replay`, `dmemu sweep` and `dmemu trace` as a user runs them: exit
// codes, the seed first, the replay command on failure, the first diverging trace line, JSON lines.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/scenario/replay.hpp"

namespace dmemu::scenario {
namespace {

struct Ran {
    int exit_code = -1;
    std::string out;
};

Ran dmemu(const std::string& args) {
    const std::string cmd = std::string(DMEMU_PATH) + " " + args + " 2>&1";
    Ran r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string fixture(const std::string& name) {
    return std::string(SCENARIO_FIXTURES_DIR) + "/" + name;
}

class ScenarioCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("dmemu-scn-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    std::filesystem::path dir_;
};

TEST_F(ScenarioCli, RunPrintsTheSeedFirstAndPasses) {
    auto r =
        dmemu("run " + fixture("log-server-timeouts.scn") + " --seed 7 --trace " + path("t.jsonl"));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(r.out.rfind("seed=7 match=uuid+luid file=", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("PASSED: 14 steps"), std::string::npos) << r.out;
    std::ifstream in(path("t.jsonl"));
    std::string first;
    std::getline(in, first);
    std::string err;
    auto h = parse_trace_header(first, &err);
    ASSERT_TRUE(h) << err;
    EXPECT_EQ(h->seed, 7u);
    EXPECT_EQ(h->file, fixture("log-server-timeouts.scn"));
}

TEST_F(ScenarioCli, FailingRunPrintsEachFailureAndTheReplayCommand) {
    auto r = dmemu("run " + fixture("pvmove-abort.scn") + " --seed 3 --match uuid");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("FAILED " + fixture("pvmove-abort.scn") +
                         ":43: io write lv 1532k 4k timeout=30s\n"
                         "    did not finish within 30s of virtual time (hung)"),
              std::string::npos)
        << r.out;
    EXPECT_NE(
        r.out.find("replay: dmemu run " + fixture("pvmove-abort.scn") + " --seed 3 --match uuid\n"),
        std::string::npos)
        << r.out;
}

TEST_F(ScenarioCli, ParseErrorsPointAtFileAndLine) {
    std::ofstream(path("bad.scn")) << "disk a 1M\n\nio write a 0\n";
    auto r = dmemu("run " + path("bad.scn"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.out, "dmemu: " + path("bad.scn") +
                         ":3: io write: expected 3 arguments, got 2 (usage: io write DEVICE OFFSET "
                         "LEN [pattern=seeded] [timeout=10m])\n");
    EXPECT_EQ(dmemu("run " + path("none.scn")).out,
              "dmemu: scenario: cannot read '" + path("none.scn") + "'\n");
    EXPECT_EQ(dmemu("run").exit_code, 2);
}

TEST_F(ScenarioCli, ReplayFindsNoDifferenceThenTheFirstDivergingLine) {
    ASSERT_EQ(dmemu("run " + fixture("pvmove-swap.scn") + " --seed 11 --trace " + path("t.jsonl"))
                  .exit_code,
              0);
    auto same = dmemu("run --replay " + path("t.jsonl"));
    EXPECT_EQ(same.exit_code, 0) << same.out;
    EXPECT_NE(same.out.find("identical: "), std::string::npos) << same.out;

    std::vector<std::string> lines;
    {
        std::ifstream in(path("t.jsonl"));
        for (std::string l; std::getline(in, l);) lines.push_back(l);
    }
    ASSERT_GT(lines.size(), 100u);
    lines[99] = R"({"t_us":0,"kind":"tampered"})";
    {
        std::ofstream out(path("t.jsonl"));
        for (const auto& l : lines) out << l << "\n";
    }
    auto diff = dmemu("run --replay " + path("t.jsonl"));
    EXPECT_EQ(diff.exit_code, 1);
    EXPECT_NE(diff.out.find("first divergence at line 100:\n  recorded: "
                            "{\"t_us\":0,\"kind\":\"tampered\"}\n  replayed: {"),
              std::string::npos)
        << diff.out;
}

TEST_F(ScenarioCli, ReplayRefusesWhatIsNoTrace) {
    std::ofstream(path("x.jsonl")) << "{\"kind\":\"io\"}\n";
    auto r = dmemu("run --replay " + path("x.jsonl"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("not a scenario trace: the first line is not a \"run\" line"),
              std::string::npos)
        << r.out;
}

TEST(ScenarioReplay, FirstDivergence) {
    EXPECT_FALSE(first_divergence({"a", "b"}, {"a", "b"}));
    auto d = first_divergence({"a", "b"}, {"a", "c"});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->line, 2u);
    d = first_divergence({"a"}, {"a", "x"});
    ASSERT_TRUE(d);
    EXPECT_EQ(d->line, 2u);
    EXPECT_FALSE(d->recorded);
}

TEST_F(ScenarioCli, SweepJsonLinesNameEachSeedAndHowToReplayIt) {
    auto r = dmemu("sweep " + fixture("pvmove-abort.scn") +
                   " --seeds 5..10 --jobs 2 --match uuid-first --json -q");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    std::istringstream in(r.out);
    std::set<std::uint64_t> seeds;
    nlohmann::json summary;
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        if (j.contains("summary")) {
            summary = j["summary"];
            continue;
        }
        seeds.insert(j["seed"].get<std::uint64_t>());
        EXPECT_EQ(j["passed"], false);
        EXPECT_EQ(j["first_failure"]["at"], fixture("pvmove-abort.scn") + ":60");
        EXPECT_EQ(j["replay"], "dmemu run " + fixture("pvmove-abort.scn") + " --seed " +
                                   std::to_string(j["seed"].get<std::uint64_t>()) +
                                   " --match uuid-first");
    }
    EXPECT_EQ(seeds, (std::set<std::uint64_t>{5, 6, 7, 8, 9, 10}));
    EXPECT_EQ(summary["seeds"], 6);
    EXPECT_EQ(summary["failed"], 6);
}

TEST_F(ScenarioCli, SweepReportsProgressAndPasses) {
    auto r =
        dmemu("sweep " + fixture("load-then-clear.scn") + " --seeds 1..8 --jobs 2 --match uuid");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("sweep: 8/8 seeds, 0 failed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("sweep: 8 seeds (1..8), 8 passed, 0 failed"), std::string::npos) << r.out;
    EXPECT_EQ(dmemu("sweep " + fixture("load-then-clear.scn") + " --seeds 9..1").exit_code, 2);
}

TEST_F(ScenarioCli, TraceExportWritesPerfettoJsonOnStdout) {
    ASSERT_EQ(dmemu("run " + fixture("pvmove-swap.scn") + " --seed 2 --trace " + path("t.jsonl"))
                  .exit_code,
              0);
    auto r = dmemu("trace export " + path("t.jsonl") + " --format perfetto");
    ASSERT_EQ(r.exit_code, 0) << r.out.substr(0, 500);
    const auto doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc["displayTimeUnit"], "ns");
    ASSERT_TRUE(doc["traceEvents"].is_array());
    EXPECT_GT(doc["traceEvents"].size(), 100u);
    EXPECT_EQ(doc["otherData"]["seed"], 2);
}

TEST_F(ScenarioCli, TraceDiffExitsZeroWhenIdenticalOneWhenTheyDifferTwoOnBadInput) {
    const std::string scn = fixture("pvmove-swap.scn");
    ASSERT_EQ(dmemu("run " + scn + " --seed 1 --trace " + path("a.jsonl")).exit_code, 0);
    ASSERT_EQ(
        dmemu("run " + scn + " --seed 1 --match uuid-first --trace " + path("b.jsonl")).exit_code,
        1);
    auto same = dmemu("trace diff " + path("a.jsonl") + " " + path("a.jsonl"));
    EXPECT_EQ(same.exit_code, 0) << same.out;
    EXPECT_EQ(same.out.rfind("identical: ", 0), 0u) << same.out;
    auto differ = dmemu("trace diff " + path("a.jsonl") + " " + path("b.jsonl") + " --context 1");
    EXPECT_EQ(differ.exit_code, 1) << differ.out;
    EXPECT_NE(differ.out.find("first divergence: " + path("a.jsonl") + ":"), std::string::npos)
        << differ.out;
    EXPECT_NE(differ.out.find("differs in: instance 2 | 1; reached \"L2\" | \"L1\"\n"),
              std::string::npos)
        << differ.out;

    auto missing = dmemu("trace diff " + path("a.jsonl") + " " + path("none.jsonl"));
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.out, "dmemu: trace: cannot read '" + path("none.jsonl") +
                               "': No such file or directory\n");
    std::ofstream(path("bad.jsonl")) << R"({"t_us":0,"kind":"run"})"
                                     << "\n{\"t_us\":1,\n";
    auto corrupt = dmemu("trace export " + path("bad.jsonl"));
    EXPECT_EQ(corrupt.exit_code, 2);
    EXPECT_EQ(corrupt.out.rfind("dmemu: trace: " + path("bad.jsonl") + ":2: not JSON: ", 0), 0u)
        << corrupt.out;
    EXPECT_EQ(dmemu("trace diff " + path("bad.jsonl") + " " + path("a.jsonl")).exit_code, 2);
}

}  // namespace
}  // namespace dmemu::scenario
