// SPDX-License-Identifier: GPL-2.0-only
#include "tests/frontend/fio_job.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace dmemu::frontend_test {

FioReport read_fio_report(const std::string& path) {
    FioReport r;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    // fio prints warnings ("multiple writers may overwrite blocks ...") before the object.
    const auto brace = s.find('{');
    if (brace == std::string::npos) {
        r.problem = "no JSON in " + path + ": '" + s.substr(0, 200) + "'";
        return r;
    }
    try {
        const auto doc = nlohmann::json::parse(s.substr(brace));
        for (const auto& j : doc.at("jobs")) {
            FioJobReport job;
            job.name = j.at("jobname").get<std::string>();
            job.error = j.at("error").get<int>();
            job.read_bytes = j.at("read").at("io_bytes").get<std::uint64_t>();
            job.write_bytes = j.at("write").at("io_bytes").get<std::uint64_t>();
            r.jobs.push_back(job);
        }
        r.parsed = true;
    } catch (const std::exception& e) {
        r.problem = std::string("fio report ") + path + ": " + e.what();
    }
    return r;
}

FioProcess start_fio(const std::vector<std::string>& args, const std::string& report) {
    // No verify state files (fio drops them in the working directory, i.e. the checkout).
    std::vector<std::string> argv_s{"fio", "--output-format=json", "--output=" + report,
                                    "--verify_state_save=0"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string err_path = report + ".stderr";
    FioProcess p;
    p.report = report;
    p.pid = ::fork();
    if (p.pid == 0) {
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0) ::dup2(err, 2);
        ::execvp("fio", argv.data());
        ::_exit(127);
    }
    return p;
}

namespace {

// waitpid with `flags`; false while the child still runs.
bool reap(FioProcess& p, int flags) {
    if (p.reaped || p.pid <= 0) return true;
    int status = 0;
    const pid_t r = ::waitpid(p.pid, &status, flags);
    if (r == 0) return false;
    p.reaped = true;
    p.status = r == p.pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return true;
}

}  // namespace

int wait_fio(FioProcess& p) {
    reap(p, 0);
    return p.status;
}

bool fio_running(FioProcess& p) { return !reap(p, WNOHANG); }

void expect_clean_verify(const FioProcess& fio, std::size_t jobs, std::uint64_t bytes) {
    const FioReport report = read_fio_report(fio.report);
    ASSERT_TRUE(report.parsed) << report.problem;
    ASSERT_EQ(report.jobs.size(), jobs);
    for (const auto& job : report.jobs) {
        EXPECT_EQ(job.error, 0);
        EXPECT_EQ(job.write_bytes, bytes);
        EXPECT_EQ(job.read_bytes, bytes) << "the verify pass did not read everything back";
    }
}

}  // namespace dmemu::frontend_test
