// SPDX-License-Identifier: GPL-2.0-only
// The scenario fixtures against the real cmirrord (issue #18 items 4 and 5):
//  * `dmemu run FILE --log-server cmirrord` passes: the kernel side's predictions for
//    (uuid, luid) hold with the real daemon;
//  * `--log-server cmirrord-legacy` (lookups by uuid alone and reference counts again,
//    tools/cmirrord/legacy-uuid-only.patch) fails on exactly the lines the model fails on in
//    `--match uuid`, which the fixtures' head comments predict; the model's lines on `reached=`
//    (which of the server's objects a request reached) are the only ones left out: a real
//    daemon does not say;
//  * the differential check: the request/reply stream of each run against the real daemon is
//    the model's (dmemu-ulogd's engine, in process) in the same mode, after the normalisation of
//    docs/ulog.md ("dmemu-ulogd against cmirrord").
// Left out: power-cut-during-resync.scn (a real daemon does not survive the machine's power
// cut: `dmemu run` refuses it) and mirror-resize.scn (its clustered-disk log lives on a raw disk,
// 7:2, and cmirrord looks for log devices in /dev/mapper alone, so its CTR fails: docs/ulog.md).
//
// Nothing here needs FUSE or a daemon: `dmemu run` is the emulated machine. Needs what
// cmirrord_env.hpp says; skipped under ASan (the normal build's passes run it, as root and as a
// user; as a user only the fixtures marked so, to keep CI short).
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/realtools/cmirrord_env.hpp"
#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {
namespace {

namespace fs = std::filesystem;

struct FixtureCase {
    const char* file;  // under fixtures/scenarios
    bool as_user;      // also in CI's unprivileged pass
};

const FixtureCase kFixtures[] = {
    {"pvmove-swap.scn", true},
    {"load-then-clear.scn", false},
    {"pvmove-abort.scn", false},
    {"log-server-timeouts.scn", true},
    {"faults/late-postsuspend.scn", false},
    {"faults/swap-crash-at-ctr.scn", true},
    {"faults/swap-crash-at-dtr.scn", false},
    {"faults/swap-crash-at-flush.scn", false},
    {"faults/swap-crash-at-mark-region.scn", false},
    {"faults/swap-crash-mid-copy.scn", false},
    {"faults/swap-crash-at-postsuspend.scn", false},
    {"faults/swap-crash-at-presuspend.scn", false},
    {"faults/swap-crash-at-resume.scn", false},
    {"faults/swap-under-faults.scn", false},
};

std::string scenarios_dir() {
    const char* v = std::getenv("DMEMU_FIXTURES_SCENARIOS_DIR");
    return v && *v ? v : DMEMU_FIXTURES_SCENARIOS_DIR_DEFAULT;
}

// One reply or bare ack as the comparison sees it: no seq, the log by its name in the run (L1,
// L2, ... in order of first appearance, so no luid value either).
using Reply = std::string;

struct Streams {
    std::vector<Reply> changes;  // everything but the queries below, repeats collapsed
    std::vector<Reply> queries;  // GET_SYNC_COUNT, STATUS_INFO, STATUS_TABLE, repeats collapsed
};

// The normalisation of docs/ulog.md: the scenario's status polls run on virtual time, which
// waits for the real daemon but not in the same places, so how often a query lands between two
// other requests is timing; what each answer says, in order, is not.
Streams streams_of(const fs::path& trace) {
    Streams s;
    std::ifstream in(trace);
    for (std::string line; std::getline(in, line);) {
        const auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || j.value("kind", "") != "ulog") continue;
        const std::string dir = j.value("dir", "");
        if (dir != "rep" && dir != "ack") continue;
        const std::string type = j.value("type", "");
        const Reply r = fmt::format("{} {} {} error={} {}", type, j.value("luid", ""), dir,
                                    j.value("error", 0), j.value("payload", ""));
        auto& into = type == "GET_SYNC_COUNT" || type == "STATUS_INFO" || type == "STATUS_TABLE"
                         ? s.queries
                         : s.changes;
        if (into.empty() || into.back() != r) into.push_back(r);
    }
    return s;
}

// "" when equal, else the first difference with three entries of context.
std::string compare(const char* what, const std::vector<Reply>& model,
                    const std::vector<Reply>& real) {
    const std::size_t n = std::min(model.size(), real.size());
    std::size_t i = 0;
    while (i < n && model[i] == real[i]) ++i;
    if (i == n && model.size() == real.size()) return {};
    std::string out = fmt::format("{} differ at entry {} (model {} entries, cmirrord {}):\n", what,
                                  i + 1, model.size(), real.size());
    for (std::size_t k = i >= 3 ? i - 3 : 0; k < i + 3; ++k)
        out += fmt::format("  {:>5}  model: {:<50} real: {}\n", k + 1,
                           k < model.size() ? model[k] : "-", k < real.size() ? real[k] : "-");
    return out;
}

struct RunOutcome {
    int exit_code = -1;
    std::string out, err;
    std::vector<std::string> failed;  // "FILE:LINE: text" of each FAILED line
};

RunOutcome dmemu_run(const std::string& file, std::vector<std::string> args,
                     const fs::path& trace) {
    args.insert(args.begin(), {"run", file, "--trace", trace.string()});
    const auto r = cli_test::run_program(dmemu_bin(), args);
    RunOutcome o{r.exit_code, r.out, r.err, {}};
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("FAILED ", 0) == 0) o.failed.push_back(line.substr(7));
    return o;
}

class RealCmirrordFixtures : public ::testing::TestWithParam<FixtureCase> {
protected:
    void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
        GTEST_SKIP()
            << "sanitized build: the fixtures against cmirrord run in the normal build's passes";
#endif
        DMEMU_REQUIRE(cmirrord_verdict(&dmemu_why_));
        if (frontend_test::expect_unprivileged() && !GetParam().as_user)
            GTEST_SKIP() << "CI's unprivileged pass runs three of these fixtures; the root pass "
                            "runs them all";
        scratch_ = frontend_test::make_temp_dir("dmemu-cmirrord-fixture");
        file_ = scenarios_dir() + "/" + GetParam().file;
    }
    void TearDown() override {
        std::error_code ec;
        if (!scratch_.empty() && !HasFailure()) fs::remove_all(scratch_, ec);
    }

    // The differential check of the two traces.
    void expect_same_streams(const fs::path& model_trace, const fs::path& real_trace) {
        const Streams model = streams_of(model_trace), real = streams_of(real_trace);
        ASSERT_FALSE(model.changes.empty()) << "no ulog replies in " << model_trace;
        EXPECT_EQ(compare("replies", model.changes, real.changes), "") << real_trace;
        EXPECT_EQ(compare("query replies", model.queries, real.queries), "") << real_trace;
    }

    fs::path scratch_;
    std::string file_;
};

TEST_P(RealCmirrordFixtures, PassesWithTheRealDaemonAndMatchesTheModel) {
    const RunOutcome real =
        dmemu_run(file_, {"--log-server", "cmirrord", "--cmirrord-dir", cmirrord_dir()},
                  scratch_ / "cmirrord.jsonl");
    ASSERT_EQ(real.exit_code, 0) << real.out << real.err;
    EXPECT_NE(real.out.find("PASSED"), std::string::npos) << real.out;
    const RunOutcome model = dmemu_run(file_, {"--match", "uuid+luid"}, scratch_ / "model.jsonl");
    ASSERT_EQ(model.exit_code, 0) << model.out << model.err;
    expect_same_streams(scratch_ / "model.jsonl", scratch_ / "cmirrord.jsonl");
}

TEST_P(RealCmirrordFixtures, LegacyDaemonFailsWhereTheUuidModePredicts) {
    const RunOutcome legacy =
        dmemu_run(file_, {"--log-server", "cmirrord-legacy", "--cmirrord-dir", cmirrord_dir()},
                  scratch_ / "legacy.jsonl");
    ASSERT_NE(legacy.exit_code, 2) << legacy.out << legacy.err;
    const RunOutcome model = dmemu_run(file_, {"--match", "uuid"}, scratch_ / "model.jsonl");
    std::vector<std::string> predicted;
    for (const auto& f : model.failed)
        if (f.find("reached=") == std::string::npos) predicted.push_back(f);
    EXPECT_EQ(legacy.failed, predicted) << "cmirrord-legacy:\n"
                                        << legacy.out << "model (--match uuid):\n"
                                        << model.out;
    EXPECT_EQ(legacy.exit_code, predicted.empty() ? 0 : 1) << legacy.out;
    expect_same_streams(scratch_ / "model.jsonl", scratch_ / "legacy.jsonl");
}

// The trace of a run against the real daemon says so in its first line, and --replay refuses it.
TEST(RealCmirrordRun, TraceSaysItIsNotReplayable) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "sanitized build: runs in the normal build's passes";
#endif
    DMEMU_REQUIRE(cmirrord_verdict(&dmemu_why_));
    const fs::path scratch = frontend_test::make_temp_dir("dmemu-cmirrord-replay");
    const RunOutcome r = dmemu_run(scenarios_dir() + "/log-server-timeouts.scn",
                                   {"--log-server", "cmirrord", "--cmirrord-dir", cmirrord_dir()},
                                   scratch / "t.jsonl");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    std::ifstream in(scratch / "t.jsonl");
    std::string first;
    std::getline(in, first);
    const auto j = nlohmann::json::parse(first);
    EXPECT_EQ(j.value("kind", ""), "run");
    EXPECT_EQ(j.value("log_server", ""), "the real cmirrord, with corosync");
    EXPECT_NE(j.value("clock", "").find("not replayable"), std::string::npos) << first;
    const auto replay =
        cli_test::run_program(dmemu_bin(), {"run", "--replay", (scratch / "t.jsonl").string()});
    EXPECT_EQ(replay.exit_code, 2) << replay.out << replay.err;
    EXPECT_NE(replay.err.find("a real process: it does not replay from its seed"),
              std::string::npos)
        << replay.err;
    std::error_code ec;
    fs::remove_all(scratch, ec);
}

// Without the binaries: where to build them, and nothing left behind.
TEST(RealCmirrordRun, MissingDaemonSaysHowToBuildIt) {
    const fs::path scratch = frontend_test::make_temp_dir("dmemu-cmirrord-missing");
    const std::string before =
        std::to_string(std::distance(fs::directory_iterator(scratch), fs::directory_iterator()));
    const auto r = cli_test::run_program(
        "/usr/bin/env",
        {"TMPDIR=" + scratch.string(), dmemu_bin(), "run", scenarios_dir() + "/pvmove-swap.scn",
         "--log-server", "cmirrord", "--cmirrord-dir", (scratch / "none").string()});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("no " + (scratch / "none" / "cmirrord").string() +
                         " (build it: bash tools/cmirrord/build.sh"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(
        std::to_string(std::distance(fs::directory_iterator(scratch), fs::directory_iterator())),
        before)
        << "the run left a directory behind";
    std::error_code ec;
    fs::remove_all(scratch, ec);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RealCmirrordFixtures, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) {
                             std::string name = info.param.file;
                             for (char& c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             return name.substr(0, name.size() - 4);
                         });

}  // namespace
}  // namespace dmemu::realtools_test
