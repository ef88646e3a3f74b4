// SPDX-License-Identifier: GPL-2.0-only
// Userspace-log mirrors made, swapped and removed by the REAL dmsetup under `dmemu exec`, with a
// dmemu-ulogd process serving the logs on DIR/ulogd.sock: each oracle ulog case
// (tests/ulog/oracle, copies of ../shared/oracle/ulog) is replayed command by command, and the
// requests the server saw during each command are compared with the kernel's.
//
// What is compared: the requests the dm lifecycle issues from inside the ioctl (CTR, DTR,
// PRESUSPEND, POSTSUSPEND, RESUME, GET_REGION_SIZE, STATUS_INFO, STATUS_TABLE), in order, with
// their log (L1, L2, ... by first appearance). The rest (GET_SYNC_COUNT, IN_SYNC, GET_RESYNC_WORK,
// MARK/CLEAR/FLUSH, SET_REGION_SYNC) follows from the server's answers: the oracle's recorder
// said every region was in sync, dmemu-ulogd, like cmirrord, says a new log is not, so the
// mirror resyncs and that traffic differs by design (tests/cli/ulog_sequence_test.cpp compares
// it against a recorder).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::set<std::string> kLifecycle{"CTR",         "DTR",         "PRESUSPEND",
                                       "POSTSUSPEND", "RESUME",      "GET_REGION_SIZE",
                                       "STATUS_INFO", "STATUS_TABLE"};

struct Step {
    std::string command;
    std::vector<std::pair<std::string, std::string>> requests;  // (type, raw log id)
};

// The .seq file: "### $ COMMAND" lines, each followed by its "REQ ... type=T(n) ... Ln" lines.
std::vector<Step> read_seq(const fs::path& path) {
    std::ifstream in(path);
    std::vector<Step> steps;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("### $ ", 0) == 0) {
            steps.push_back({line.substr(6), {}});
        } else if (line.rfind("REQ ", 0) == 0 && !steps.empty()) {
            std::istringstream words(line);
            std::string w, type, log;
            while (words >> w) {
                if (w.rfind("type=", 0) == 0) type = w.substr(5, w.find('(') - 5);
                if (w.size() > 1 && w[0] == 'L' && std::isdigit(static_cast<unsigned char>(w[1])))
                    log = w;
            }
            steps.back().requests.emplace_back(type, log);
        }
    }
    return steps;
}

// The lifecycle requests of one command, logs renamed L1, L2, ... by first appearance over the
// whole case (`names` carries the numbering from command to command).
std::vector<std::string> lifecycle(const std::vector<std::pair<std::string, std::string>>& reqs,
                                   std::map<std::string, int>& names) {
    std::vector<std::string> out;
    for (const auto& [type, log] : reqs) {
        auto [it, fresh] = names.try_emplace(log, static_cast<int>(names.size()) + 1);
        if (kLifecycle.count(type)) out.push_back(fmt::format("{} L{}", type, it->second));
    }
    return out;
}

// dmemu-ulogd's debug lines "... request TYPE luid N seq S" after byte `from` of its log.
std::vector<std::pair<std::string, std::string>> server_requests(const fs::path& log,
                                                                 std::size_t from,
                                                                 std::size_t* to) {
    std::ifstream in(log);
    in.seekg(static_cast<std::streamoff>(from));
    std::vector<std::pair<std::string, std::string>> out;
    std::string line;
    while (std::getline(in, line)) {
        const auto at = line.find("] request ");
        if (at == std::string::npos) continue;
        std::istringstream words(line.substr(at + 10));
        std::string type, luid_word, luid;
        words >> type >> luid_word >> luid;
        out.emplace_back(type, luid);
    }
    *to = fs::file_size(log);
    return out;
}

class RealDmsetupUlog : public RealToolsTest, public ::testing::WithParamInterface<const char*> {
protected:
    void SetUp() override {
        RealToolsTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) return;
        log_ = scratch_ / "ulogd.log";
        ulogd_ = cli_test::spawn_program(dmemu_ulogd_bin(),
                                         {"--socket", path("ulogd.sock"), "--log-level", "debug"},
                                         log_.string());
        for (int i = 0; i < 500 && !fs::exists(path("ulogd.sock")); ++i)
            std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(fs::exists(path("ulogd.sock")));
    }
    void TearDown() override {
        if (ulogd_ > 0) {
            // The daemon stops first: its tables' DTRs still go to the server.
            RealToolsTest::TearDown();
            ::kill(ulogd_, SIGTERM);
            cli_test::wait_exit(ulogd_, 5s);
            return;
        }
        RealToolsTest::TearDown();
    }

    fs::path log_;
    pid_t ulogd_ = -1;
};

TEST_P(RealDmsetupUlog, LifecycleRequestsMatchTheKernelCommandByCommand) {
    const auto steps = read_seq(fs::path(ulog_oracle_dir()) / (std::string(GetParam()) + ".seq"));
    ASSERT_FALSE(steps.empty());
    std::map<std::string, int> kernel_names, server_names;
    std::size_t offset = fs::file_size(log_);
    std::string failures;
    std::size_t compared = 0;
    for (const auto& step : steps) {
        const auto r = exec_shell(step.command);
        EXPECT_EQ(r.exit_code, 0) << step.command << "\n" << r.err;
        const auto seen = server_requests(log_, offset, &offset);
        const auto expected = lifecycle(step.requests, kernel_names);
        const auto actual = lifecycle(seen, server_names);
        compared += expected.size();
        if (expected != actual)
            failures += fmt::format("$ {}\n  kernel: {}\n  dmemu:  {}\n", step.command,
                                    fmt::join(expected, ", "), fmt::join(actual, ", "));
    }
    EXPECT_TRUE(failures.empty()) << failures;
    EXPECT_GE(compared, 4u) << "the case issued almost no lifecycle request: nothing was compared";
    std::cout << GetParam() << ": " << steps.size() << " commands, " << compared
              << " lifecycle requests compared\n";
}

INSTANTIATE_TEST_SUITE_P(Oracle, RealDmsetupUlog,
                         ::testing::Values("a-create-core", "b-swap-same-uuid", "c-load-clear",
                                           "d-suspend-resume-remove"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                             std::string n = info.param;
                             for (char& c : n)
                                 if (c == '-') c = '_';
                             return n;
                         });

}  // namespace
}  // namespace dmemu::realtools_test
