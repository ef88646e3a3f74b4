// SPDX-License-Identifier: GPL-2.0-only
#include "scenario_test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace dmemu::scenario::test {

Outcome run_isolated(const Scenario& s, std::uint64_t seed, logs::MatchMode match,
                     bool with_trace) {
    int p[2];
    if (::pipe(p) != 0) {
        ADD_FAILURE() << "pipe failed";
        return {};
    }
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(p[0]);
        std::vector<std::string> trace;
        RunOptions o;
        o.seed = seed;
        o.match = match;
        if (with_trace) o.trace = [&trace](const std::string& line) { trace.push_back(line); };
        const RunResult r = run_scenario(s, o);  // before the trace is moved out
        const Outcome out = to_outcome(r, std::move(trace));
        nlohmann::json j{{"passed", out.passed}, {"torn_down", out.torn_down},
                         {"failed", out.failed}, {"messages", out.messages},
                         {"trace", out.trace},   {"determinism", out.determinism}};
        const std::string bytes = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        for (std::size_t done = 0; done < bytes.size();) {
            const ssize_t n = ::write(p[1], bytes.data() + done, bytes.size() - done);
            if (n <= 0 && errno != EINTR) ::_exit(3);
            if (n > 0) done += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(p[1]);
    std::string bytes;
    char buf[65536];
    for (ssize_t n; (n = ::read(p[0], buf, sizeof(buf))) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        bytes.append(buf, static_cast<std::size_t>(n));
    }
    ::close(p[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    Outcome out;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        ADD_FAILURE() << "the scenario's child process died (status " << status << ")";
        return out;
    }
    auto j = nlohmann::json::parse(bytes);
    out.passed = j["passed"];
    out.torn_down = j["torn_down"];
    out.failed = j["failed"].get<std::vector<std::string>>();
    out.messages = j["messages"].get<std::vector<std::string>>();
    out.trace = j["trace"].get<std::vector<std::string>>();
    out.determinism = j["determinism"].get<std::vector<std::string>>();
    return out;
}

}  // namespace dmemu::scenario::test
