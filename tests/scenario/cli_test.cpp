// SPDX-License-Identifier: GPL-2.0-only
// `dmemu run`, `dmemu run --replay`, `dmemu sweep` and `dmemu trace` as a user runs them: exit
// codes, the seed first, the replay command on failure, the first diverging trace line, JSON lines.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <vector>

#include "emu/sim/replay.hpp"

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

// A sweep's summary with what may differ between two runs of the same seeds taken out: the
// first line (it names the shards), the time and rate and jobs of the last, and the order of the
// failures (workers finish in any order).
std::vector<std::string> comparable_summary(const std::string& out) {
    std::istringstream in(out);
    std::vector<std::string> lines;
    std::string line;
    std::getline(in, line);
    const std::regex timing(R"(, [0-9.]+ s, [0-9]+ seeds/s, [0-9]+ jobs?$)");
    while (std::getline(in, line)) lines.push_back(std::regex_replace(line, timing, ""));
    std::sort(lines.begin(), lines.end());
    return lines;
}

class SweepShards : public ScenarioCli {
protected:
    // Runs FILE ARGS --seeds SEEDS unsharded and as N shards, merges the shards, and compares.
    void expect_merge_equals_unsharded(const std::string& args, const std::string& seeds, int n,
                                       int expected_exit) {
        const auto whole = dmemu("sweep " + args + " --seeds " + seeds + " --jobs 2 -q");
        ASSERT_EQ(whole.exit_code, expected_exit) << whole.out;
        std::string files;
        for (int k = 1; k <= n; ++k) {
            const std::string result = path(fmt::format("r{}.json", k));
            const auto shard =
                dmemu(fmt::format("sweep {} --seeds {} --jobs 1 -q --shard {}/{} "
                                  "--result {}",
                                  args, seeds, k, n, result));
            ASSERT_NE(shard.exit_code, 2) << shard.out;
            EXPECT_NE(shard.out.find(fmt::format(", shard {}/{}), ", k, n)), std::string::npos)
                << shard.out;
            files += " " + result;
        }
        const auto merged = dmemu("sweep --merge" + files);
        EXPECT_EQ(merged.exit_code, expected_exit) << merged.out;
        EXPECT_EQ(merged.out.rfind("sweep: ", 0), 0u) << merged.out;
        EXPECT_NE(merged.out.find(fmt::format("merged from {} result files", n)), std::string::npos)
            << merged.out;
        EXPECT_EQ(comparable_summary(merged.out), comparable_summary(whole.out))
            << "merged:\n"
            << merged.out << "unsharded:\n"
            << whole.out;
    }
    nlohmann::json read_json(const std::string& file) {
        std::ifstream in(file);
        return nlohmann::json::parse(in);
    }
    void write_json(const std::string& file, const nlohmann::json& j) {
        std::ofstream(file) << j.dump();
    }
    std::string shard(const std::string& args, const std::string& spec, const std::string& name) {
        const auto r = dmemu("sweep " + args + " -q --shard " + spec + " --result " + path(name));
        EXPECT_NE(r.exit_code, 2) << r.out;
        return path(name);
    }
};

TEST_F(SweepShards, MergedShardsGiveTheUnshardedSummaryWithTheFaultMatrix) {
    expect_merge_equals_unsharded(
        fixture("faults/swap-under-faults.scn") + " --faults " + fixture("faults/mixed.plan"),
        "1..9", 3, 0);
}

TEST_F(SweepShards, MergedShardsGiveTheUnshardedFailuresAndReplayCommands) {
    expect_merge_equals_unsharded(fixture("pvmove-abort.scn") + " --match uuid-first", "3..7", 2,
                                  1);
}

TEST_F(SweepShards, AShardRunsSeedsWhoseOffsetModNIsKMinusOne) {
    const auto file = shard(fixture("load-then-clear.scn") + " --seeds 1..10", "2/3", "r.json");
    const auto j = read_json(file);
    std::vector<std::uint64_t> seeds;
    for (const auto& r : j["results"]) seeds.push_back(r["seed"].get<std::uint64_t>());
    EXPECT_EQ(seeds, (std::vector<std::uint64_t>{2, 5, 8}));
    EXPECT_EQ(j["shard"], (nlohmann::json{{"index", 2}, {"count", 3}}));
    EXPECT_EQ(j["seeds"], (nlohmann::json{{"first", 1}, {"last", 10}}));
    EXPECT_EQ(j["match"], "uuid+luid");
    EXPECT_EQ(j["file"], fixture("load-then-clear.scn"));
    EXPECT_EQ(j["file_hash"].get<std::string>().rfind("fnv1a64:", 0), 0u);
    EXPECT_TRUE(j["plan"].is_null());
    EXPECT_EQ(j["totals"]["seeds"], 3);
    EXPECT_EQ(j["totals"]["passed"], 3);
    // More shards than seeds: the last one is empty, and still merges.
    const auto empty = shard(fixture("load-then-clear.scn") + " --seeds 1..2", "3/3", "e.json");
    EXPECT_EQ(read_json(empty)["totals"]["seeds"], 0);
    const auto one = shard(fixture("load-then-clear.scn") + " --seeds 1..2", "1/3", "o.json");
    const auto two = shard(fixture("load-then-clear.scn") + " --seeds 1..2", "2/3", "t.json");
    const auto merged = dmemu("sweep --merge " + one + " " + two + " " + empty);
    EXPECT_EQ(merged.exit_code, 0) << merged.out;
    EXPECT_NE(merged.out.find("sweep: 2 seeds (1..2), 2 passed, 0 failed"), std::string::npos)
        << merged.out;
}

TEST_F(SweepShards, BadShardSpecsAreUsageErrors) {
    for (const char* bad : {"0/3", "4/3", "x", "3", "1/0", "/2"}) {
        const auto r =
            dmemu("sweep " + fixture("load-then-clear.scn") + " --seeds 1..4 --shard " + bad);
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE(r.out.find("--shard: expected K/N with 1 <= K <= N, got '" + std::string(bad)),
                  std::string::npos)
            << r.out;
    }
    EXPECT_EQ(dmemu("sweep --merge " + path("none.json")).exit_code, 2);
    EXPECT_EQ(dmemu("sweep " + fixture("load-then-clear.scn") + " --merge x.json").exit_code, 2);
}

TEST_F(SweepShards, MergeRefusesAMissingShardNamingItsSeeds) {
    const std::string args = fixture("load-then-clear.scn") + " --seeds 1..12";
    const auto a = shard(args, "1/3", "a.json");
    const auto c = shard(args, "3/3", "c.json");
    const auto r = dmemu("sweep --merge " + a + " " + c);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("dmemu: sweep: --merge: 4 seeds of 1..12 are in no result file: 2, 5, 8, "
                         "11; missing shard 2/3"),
              std::string::npos)
        << r.out;
}

TEST_F(SweepShards, MergeRefusesOverlappingSeedsNamingBothFiles) {
    const std::string args = fixture("load-then-clear.scn") + " --seeds 1..6";
    const auto a = shard(args, "1/2", "a.json");
    const auto b = shard(args, "2/2", "b.json");
    const auto whole = shard(fixture("load-then-clear.scn") + " --seeds 5..6", "1/1", "w.json");
    auto r = dmemu("sweep --merge " + a + " " + b + " " + whole);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("1 seed is in both " + a + " (shard 1/2 of 1..6) and " + whole +
                         " (shard 1/1 of 5..6): 5"),
              std::string::npos)
        << r.out;
    r = dmemu("sweep --merge " + a + " " + a + " " + b);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("3 seeds are in both " + a), std::string::npos) << r.out;
}

TEST_F(SweepShards, MergeRefusesDifferentModesPlansScenariosAndTruncatedFiles) {
    const std::string file = fixture("load-then-clear.scn") + " --seeds 1..4";
    const auto a = shard(file, "1/2", "a.json");
    const auto b_mode = shard(file + " --match uuid", "2/2", "b-mode.json");
    auto r = dmemu("sweep --merge " + a + " " + b_mode);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("are of different match modes: uuid+luid and uuid"), std::string::npos)
        << r.out;

    const auto b_plan =
        shard(file + " --faults " + fixture("faults/mixed.plan"), "2/2", "b-plan.json");
    r = dmemu("sweep --merge " + a + " " + b_plan);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("are of different fault plans: no fault plan and " +
                         fixture("faults/mixed.plan") + " fnv1a64:"),
              std::string::npos)
        << r.out;

    // The same path, another text: as a scenario edited between two shards.
    const auto b = shard(file, "2/2", "b.json");
    auto j = read_json(b);
    j["file_hash"] = "fnv1a64:0000000000000000";
    write_json(path("b-hash.json"), j);
    r = dmemu("sweep --merge " + a + " " + path("b-hash.json"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("are of different scenarios: "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(" fnv1a64:0000000000000000"), std::string::npos) << r.out;

    j = read_json(b);
    j["results"].erase(j["results"].begin());
    write_json(path("b-cut.json"), j);
    r = dmemu("sweep --merge " + a + " " + path("b-cut.json"));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.out.find("b-cut.json: totals.seeds is 2 but 1 results follow"), std::string::npos)
        << r.out;

    // And the good pair merges.
    EXPECT_EQ(dmemu("sweep --merge " + a + " " + b).exit_code, 0);
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
