// SPDX-License-Identifier: GPL-2.0-only
// Running the built programs from tests: a child with its stdin fed and its stdout and stderr
// captured, or a long-lived child (the daemon) to signal and reap.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::cli_test {

struct ProgramResult {
    std::string out, err;
    int exit_code = -1;  // -1: killed by a signal
};

ProgramResult run_program(const std::string& path, const std::vector<std::string>& args,
                          const std::string& stdin_text = {});

// A child whose output goes to `log_path`.
pid_t spawn_program(const std::string& path, const std::vector<std::string>& args,
                    const std::string& log_path);
// Waits for the child; nullopt if it is still running after `timeout`.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace dmemu::cli_test
