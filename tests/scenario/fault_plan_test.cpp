// SPDX-License-Identifier: GPL-2.0-only
// Fault plans: the parser (errors name the line and the word), ranges drawn from the seed, the
// faults installed where the plan says and nowhere else, the plan in the trace's first line and
// --replay reproducing a run with a plan.
#include "emu/sim/fault_plan.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emu/sim/replay.hpp"
#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

using nlohmann::json;

Outcome run_with_plan(const std::string& text, const std::string& plan, std::uint64_t seed = 1) {
    const Scenario s = parse_scenario(text, "test.scn", builtin_step_registry());
    std::vector<std::string> trace;
    RunOptions o;
    o.seed = seed;
    o.plan = parse_fault_plan(plan, "test.plan");
    o.trace = [&trace](const std::string& line) { trace.push_back(line); };
    const RunResult r = run_scenario(s, o);
    return to_outcome(r, std::move(trace));
}

std::size_t count_faults(const Outcome& o, const std::string& where, const std::string& kind) {
    std::size_t n = 0;
    for (const auto& l : o.trace) {
        auto j = json::parse(l);
        if (j["kind"] == "fault" && j["where"] == where && j["fault"] == kind) ++n;
    }
    return n;
}

std::string parse_error(const std::string& plan) {
    try {
        parse_fault_plan(plan, "p.plan");
    } catch (const std::exception& e) {
        return e.what();
    }
    return "parsed";
}

TEST(FaultPlan, ParsesEveryLineKind) {
    auto p = parse_fault_plan(R"(# a mix
disk src latency ms=1..5
disk * eio sectors=100-199 op=read p=0.5
transport drop p=0.01..0.05 dir=to-server
crash-log-server at=FLUSH,MARK_REGION luid=old p=0.5 times=1 restart=20s
)",
                              "mix.plan");
    ASSERT_EQ(p->lines.size(), 4u);
    EXPECT_EQ(p->lines[0].kind, PlanLine::Kind::disk);
    EXPECT_EQ(p->lines[0].disk, "src");
    EXPECT_EQ(p->lines[1].disk, "*");
    EXPECT_EQ(p->lines[2].kind, PlanLine::Kind::transport);
    EXPECT_EQ(p->lines[3].kind, PlanLine::Kind::crash);
    EXPECT_EQ(p->lines[3].at.line, 5);
}

TEST(FaultPlan, ErrorsNameTheLineAndTheWord) {
    EXPECT_EQ(parse_error("\nflood d\n"),
              "p.plan:2: expected disk, transport or crash-log-server, got 'flood' "
              "(docs/faults.md, Fault plans)");
    EXPECT_NE(
        parse_error("disk d eio sectors=9-1\n").find("p.plan:1: fault: eio: bad sector range"),
        std::string::npos);
    EXPECT_NE(parse_error("transport drop dir=up\n").find("p.plan:1: fault: drop: bad dir 'up'"),
              std::string::npos);
    EXPECT_NE(parse_error("crash-log-server at=NOPE\n").find("unknown request type 'NOPE'"),
              std::string::npos);
    EXPECT_NE(parse_error("crash-log-server p=2\n").find("expected p in [0, 1]"),
              std::string::npos);
    EXPECT_NE(parse_error("crash-log-server when=now\n").find("expected at=, luid=, p="),
              std::string::npos);
    EXPECT_NE(parse_error("disk d\n").find("expected NAME|* and a fault spec"), std::string::npos);
}

TEST(FaultPlan, RangesAreDrawnInsideTheirBounds) {
    EXPECT_EQ(draw_range("ms=1..5", 0), "ms=1");
    EXPECT_EQ(draw_range("ms=1..5", 4), "ms=5");
    EXPECT_EQ(draw_range("ms=1..5", 5), "ms=1");
    EXPECT_EQ(draw_range("restart=16s..30s", 3), "restart=19s");
    EXPECT_EQ(draw_range("p=0.01..0.05", 0), "p=0.010000");
    EXPECT_EQ(draw_range("p=0.01..0.05", 1000000), "p=0.050000");
    EXPECT_EQ(draw_range("ms=5", 3), std::nullopt);
    EXPECT_EQ(draw_range("sectors=1-5", 3), std::nullopt);
    EXPECT_EQ(draw_range("x=1s..5ms", 3), std::nullopt);  // units differ
}

TEST(FaultPlan, DiskFaultsGoOnTheNamedDiskOnly) {
    auto o = run_with_plan(R"(
disk a 1M
disk b 1M
expect error '-EIO' io write a 0 4k
io write b 0 4k
)",
                           "disk a eio op=write\n");
    EXPECT_TRUE(o.passed);
    EXPECT_EQ(count_faults(o, "disk a", "eio"), 1u);
    EXPECT_EQ(count_faults(o, "disk b", "eio"), 0u);
}

TEST(FaultPlan, StarMeansEveryDiskAndPowerCutReinstalls) {
    auto o = run_with_plan(R"(
disk a 1M
disk b 1M
expect error '-EIO' io write a 0 4k
expect error '-EIO' io write b 0 4k
power-cut
expect error '-EIO' io write a 0 4k
)",
                           "disk * eio op=write\n");
    EXPECT_TRUE(o.passed);
    EXPECT_EQ(count_faults(o, "disk a", "eio"), 2u);
    EXPECT_EQ(count_faults(o, "disk b", "eio"), 1u);
}

constexpr const char* kMirror = R"(
disk leg0 1M devno=7:0
disk leg1 1M devno=7:1
create m --uuid LVM-m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
wait-sync m timeout=5m
io background m writers=2 ops=40 think=0..2ms
io drain timeout=10m
wait-sync m timeout=10m
expect data-intact m
expect legs-identical m
)";

TEST(FaultPlan, CrashRestartsAfterItsDelayAndTheMirrorCarriesOn) {
    // At the resync's first request: the kernel's resync is under way, so the rebuilt (empty)
    // log makes it copy everything again (a crash after the resync finished would not heal:
    // docs/faults.md, "Log-server crashes").
    // Nothing else asks the server during the outage: a second request of the same log in the
    // reconnect loop would have its CTR refused ("Log already exists") and loop for ever.
    auto o = run_with_plan(R"(
disk leg0 1M devno=7:0
disk leg1 1M devno=7:1
create m --uuid LVM-m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
advance 40s
wait-sync m timeout=5m
io background m writers=2 ops=40 think=0..2ms
io drain timeout=10m
expect data-intact m
expect legs-identical m
)",
                           "crash-log-server at=GET_RESYNC_WORK restart=20s\n");
    std::string why;
    for (std::size_t i = 0; i < o.failed.size(); ++i) why += o.failed[i] + ": " + o.messages[i];
    EXPECT_TRUE(o.passed) << why;
    EXPECT_EQ(count_faults(o, "log-server", "crash"), 1u);
    bool restarted = false, reconnected = false;
    for (const auto& l : o.trace) {
        restarted = restarted || l.find(R"("event":"restart","by":"plan")") != std::string::npos;
        reconnected =
            reconnected || l.find("Reconnected to userspace log server") != std::string::npos;
    }
    EXPECT_TRUE(restarted);
    EXPECT_TRUE(reconnected);
}

TEST(FaultPlan, SameSeedSameTraceAndTheSeedMatters) {
    const std::string plan = R"(
transport drop p=0.02..0.1 dir=to-server
transport duplicate p=0.05 type=MARK_REGION,FLUSH,IN_SYNC
disk leg1 latency dist=uniform:1-3ms
)";
    auto a = run_with_plan(kMirror, plan, 3);
    auto b = run_with_plan(kMirror, plan, 3);
    auto c = run_with_plan(kMirror, plan, 4);
    EXPECT_TRUE(a.passed);
    EXPECT_EQ(a.trace, b.trace);
    EXPECT_NE(a.trace, c.trace);
    EXPECT_GT(count_faults(a, "disk leg1", "latency"), 0u);
    // The plan rides in the first line, whole.
    auto head = json::parse(a.trace.front());
    EXPECT_EQ(head["plan"]["text"], plan);
    EXPECT_EQ(head["plan"]["file"], "test.plan");
}

TEST(FaultPlan, ReplayReproducesARunWithAPlan) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("dmemu-plan-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string scn = (dir / "m.scn").string();
    std::ofstream(scn) << kMirror;
    const Scenario s = load_scenario(scn, builtin_step_registry());
    RunOptions o;
    o.seed = 9;
    o.plan = parse_fault_plan("transport drop p=0.05 dir=to-server\ndisk leg0 latency ms=1..3\n",
                              "x.plan");
    std::ofstream trace((dir / "t.jsonl").string());
    o.trace = [&trace](const std::string& line) { trace << line << "\n"; };
    EXPECT_TRUE(run_scenario(s, o).passed);
    trace.close();
    std::ostringstream out, err;
    EXPECT_EQ(replay_trace((dir / "t.jsonl").string(), out, err), 0) << out.str() << err.str();
    EXPECT_NE(out.str().find("--faults x.plan"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("identical:"), std::string::npos) << out.str();
    fs::remove_all(dir);
}

}  // namespace
}  // namespace dmemu::scenario::test
