// SPDX-License-Identifier: GPL-2.0-only
// Running fio from tests and benchmarks' callers, and reading what it reports: fio writes a JSON
// report (--output-format=json), sometimes after warning lines, one object per job.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dmemu::frontend_test {

struct FioJobReport {
    std::string name;
    int error = 0;                 // the job's errno, 0 when it finished clean
    std::uint64_t read_bytes = 0;  // for a write job with --verify: the bytes read back to verify
    std::uint64_t write_bytes = 0;
};

struct FioReport {
    bool parsed = false;
    std::string problem;  // why it did not parse
    std::vector<FioJobReport> jobs;
};

// Parses the report fio wrote to `path`.
FioReport read_fio_report(const std::string& path);

// fio with `args` (each one argument, no shell) and --output-format=json --output=REPORT,
// started in the background; its stderr goes to REPORT.stderr.
struct FioProcess {
    pid_t pid = -1;
    std::string report;
    bool reaped = false;
    int status = -1;  // once reaped: the exit status, -1 when killed by a signal
};
FioProcess start_fio(const std::vector<std::string>& args, const std::string& report);
// Waits for it; its exit status.
int wait_fio(FioProcess& p);
// Whether it is still running (reaps it when not).
bool fio_running(FioProcess& p);
// GoogleTest checks of a finished `--verify` run of `jobs` jobs that each wrote `bytes`: no
// error, and the verify pass read back everything written.
void expect_clean_verify(const FioProcess& fio, std::size_t jobs, std::uint64_t bytes);

}  // namespace dmemu::frontend_test
