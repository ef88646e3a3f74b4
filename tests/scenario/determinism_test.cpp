// SPDX-License-Identifier: GPL-2.0-only
// Same scenario + same seed = the same trace, byte for byte: every fixture for 100 seeds, twice
// each, with (uuid, luid) (SCENARIO_DETERMINISM_SEEDS: 4 in sanitizer builds); the legacy modes
// for fewer seeds (their runs leave I/O stuck and run in child processes). And the checks that
// catch nondeterminism, each shown to fire (mutation tests): the guard armed around every run, and
// the source lint.
#include "emu/util/determinism.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "determinism_lint.hpp"
#include "emu/sim/fault_plan.hpp"
#include "emu/sim/world.hpp"
#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

const char* const kFixtures[] = {"pvmove-swap.scn", "load-then-clear.scn", "mirror-resize.scn",
                                 "pvmove-abort.scn", "log-server-timeouts.scn"};

// The fault fixtures (fixtures/scenarios/faults/), with (uuid, luid); the last under the mixed
// fault plan of the fault sweep.
const char* const kFaultFixtures[] = {
    "faults/swap-crash-at-ctr.scn",         "faults/swap-crash-at-presuspend.scn",
    "faults/swap-crash-at-postsuspend.scn", "faults/swap-crash-at-resume.scn",
    "faults/swap-crash-at-dtr.scn",         "faults/swap-crash-at-flush.scn",
    "faults/swap-crash-at-mark-region.scn", "faults/power-cut-during-resync.scn",
    "faults/swap-crash-mid-copy.scn",       "faults/swap-under-faults.scn"};

std::vector<std::string> traced_run(const Scenario& s, std::uint64_t seed,
                                    std::shared_ptr<const PlanSpec> plan = nullptr) {
    std::vector<std::string> trace;
    RunOptions o;
    o.seed = seed;
    o.plan = std::move(plan);
    o.trace = [&trace](const std::string& line) { trace.push_back(line); };
    run_scenario(s, o);
    return trace;
}

constexpr std::uint64_t kSeeds = SCENARIO_DETERMINISM_SEEDS;

TEST(ScenarioDeterminism, HundredSeedsOfEveryFixtureTwiceGiveIdenticalTraces) {
    for (const char* name : kFixtures) {
        const Scenario s = load_fixture(name);
        std::set<std::string> distinct;
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            const auto a = traced_run(s, seed);
            const auto b = traced_run(s, seed);
            ASSERT_EQ(a, b) << name << " seed " << seed;
            std::string joined;
            for (const auto& l : a) joined += l + "\n";
            distinct.insert(joined);
        }
        // The seed matters (background I/O, interleaving): a check that would pass on a
        // constant trace proves nothing. The timeouts fixture has no randomness at all.
        if (std::string(name) != "log-server-timeouts.scn") {
            EXPECT_GT(distinct.size(), kSeeds * 9 / 10) << name;
        }
    }
}

TEST(ScenarioDeterminism, FaultFixturesTwiceGiveIdenticalTraces) {
    const auto plan = load_fault_plan(fixture_path("faults/mixed.plan"));
    for (const char* name : kFaultFixtures) {
        const Scenario s = load_fixture(name);
        const bool with_plan = std::string(name) == "faults/swap-under-faults.scn";
        std::set<std::string> distinct;
        for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
            const bool isolated = abandons_coroutines(name);
            const auto a = isolated ? run_isolated(s, seed, MatchMode::uuid_luid, true).trace
                                    : traced_run(s, seed, with_plan ? plan : nullptr);
            const auto b = isolated ? run_isolated(s, seed, MatchMode::uuid_luid, true).trace
                                    : traced_run(s, seed, with_plan ? plan : nullptr);
            ASSERT_FALSE(a.empty()) << name << " seed " << seed;
            ASSERT_EQ(a, b) << name << " seed " << seed;
            std::string joined;
            for (const auto& l : a) joined += l + "\n";
            distinct.insert(joined);
        }
        EXPECT_GT(distinct.size(), kSeeds * 9 / 10) << name;
    }
}

TEST(ScenarioDeterminism, LegacyModeTracesAreIdenticalToo) {
    for (const char* name : kFixtures) {
        const Scenario s = load_fixture(name);
        for (auto mode : {MatchMode::uuid, MatchMode::uuid_first})
            for (std::uint64_t seed = 1; seed <= (kSeeds >= 100 ? 4u : 2u); ++seed) {
                const auto a = run_isolated(s, seed, mode, true).trace;
                const auto b = run_isolated(s, seed, mode, true).trace;
                ASSERT_FALSE(a.empty());
                ASSERT_EQ(a, b) << name << " " << logs::to_string(mode) << " seed " << seed;
            }
    }
}

// Mutation: a wall-clock read injected into a run is caught and fails it.
TEST(ScenarioDeterminism, GuardCatchesAnInjectedWallClockRead) {
    const std::string text = "disk d 1M\nadvance 1s\n";
    auto clean = run_text(text);
    EXPECT_TRUE(clean.passed);
    EXPECT_TRUE(clean.determinism.empty());
    auto mutated = run_text(text, 1, MatchMode::uuid_luid, [](World& w) {
        emu::RealClock real(w.context());
        (void)real.now();
    });
    EXPECT_FALSE(mutated.passed);
    EXPECT_EQ(mutated.determinism,
              (std::vector<std::string>{"RealClock constructed", "RealClock::now()"}));
    ASSERT_FALSE(mutated.messages.empty());
    EXPECT_EQ(mutated.messages.back(), "nondeterminism inside the run: RealClock::now()");
}

// Mutation: unseeded randomness drawn from a step's coroutine, mid-run, is caught too.
TEST(ScenarioDeterminism, GuardCatchesUnseededRandomnessMidRun) {
    auto mutated =
        run_text("disk d 1M\nadvance 1s\nadvance 1s\n", 1, MatchMode::uuid_luid, [](World& w) {
            w.clock().call_after(std::chrono::milliseconds(1500),
                                 [] { (void)emu::entropy_seed(); });
        });
    EXPECT_FALSE(mutated.passed);
    EXPECT_EQ(mutated.determinism,
              (std::vector<std::string>{"entropy_seed(): std::random_device"}));
}

TEST(ScenarioDeterminism, GuardIsSilentOutsideARun) {
    emu::DeterminismGuard outer;
    boost::asio::io_context ctx;
    emu::RealClock real(ctx);
    (void)real.now();
    EXPECT_EQ(outer.violations().size(), 2u);
    run_text("disk d 1M\n");  // a run arms its own guard; the outer one sees nothing of it
    EXPECT_EQ(outer.violations().size(), 2u);
}

// A different seed gives a different trace, and the comparison sees it.
TEST(ScenarioDeterminism, DifferentSeedsDiverge) {
    const Scenario s = load_fixture("pvmove-swap.scn");
    EXPECT_NE(traced_run(s, 1), traced_run(s, 2));
}

TEST(ScenarioDeterminism, SourcesReadNoClockAndDrawNoUnseededRandomness) {
    namespace fs = std::filesystem;
    const fs::path root = SCENARIO_SOURCE_ROOT;
    std::vector<std::string> found;
    int files = 0;
    for (const char* dir : {"emu", "transfer", "logs"})  // the engine, emu/sim, is under emu
        for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
            const auto ext = e.path().extension();
            if (ext != ".cpp" && ext != ".hpp") continue;
            const auto rel = fs::relative(e.path(), root).string();
            // The two sanctioned doors, and the FUSE front end (real threads, real time).
            if (rel == "emu/util/clock.cpp" || rel.rfind("emu/util/determinism.", 0) == 0 ||
                rel.rfind("emu/frontend/", 0) == 0)
                continue;
            std::ifstream in(e.path());
            std::stringstream text;
            text << in.rdbuf();
            ++files;
            for (const auto& f : find_nondeterminism(text.str())) found.push_back(rel + ":" + f);
        }
    EXPECT_GT(files, 50);
    EXPECT_TRUE(found.empty()) << found.front();
}

// Mutation of the lint: each forbidden call is found, the marker exempts a line.
TEST(ScenarioDeterminism, LintFindsEachForbiddenCall) {
    EXPECT_EQ(find_nondeterminism("int x;\nauto t = std::chrono::system_clock::now();\n"),
              (std::vector<std::string>{"2: system_clock::now"}));
    EXPECT_EQ(find_nondeterminism("std::random_device rd;"),
              (std::vector<std::string>{"1: std::random_device"}));
    EXPECT_EQ(find_nondeterminism("a\nb\nsrand(time(nullptr));"),
              (std::vector<std::string>{"3: srand(", "3: time(nullptr)"}));
    EXPECT_TRUE(
        find_nondeterminism("x = steady_clock::now();  // nondeterminism-ok: progress").empty());
}

}  // namespace
}  // namespace dmemu::scenario::test
