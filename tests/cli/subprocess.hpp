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

// Reads a child's stdout and stderr pipes to their end, both at once (a child blocked on a full
// stderr pipe would never close stdout), and closes them. With a deadline: false when it passed
// first (the pipes are closed all the same).
bool drain_output(int out_fd, int err_fd, std::string* out, std::string* err,
                  std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

// A child whose output goes to `log_path`.
pid_t spawn_program(const std::string& path, const std::vector<std::string>& args,
                    const std::string& log_path);
// Waits for the child; nullopt if it is still running after `timeout`.
std::optional<int> wait_exit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace dmemu::cli_test
