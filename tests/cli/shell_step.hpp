// SPDX-License-Identifier: GPL-2.0-only
// The shell commands of the golden files, as actions on an in-process emulator:
//   dmsetup ARGS...                    run dmsetup
//   printf 'FMT' | dmsetup ARGS...     run dmsetup with printf's output on stdin
//   sleep N                            advance the virtual clock N seconds
//   exec FD</dev/mapper/NAME           open a mapped device (its open count goes up)
//   exec FD<&-                         close it again
//   ls /dev/mapper                     list the device nodes
// Words are split as the shell splits them ('single', "double" and backslash quoting).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace dmemu::cli_test {

struct ShellStep {
    enum class Kind { dmsetup, sleep, open_device, close_device, ls_mapper };
    Kind kind = Kind::dmsetup;
    std::vector<std::string> argv;  // dmsetup's arguments, without "dmsetup"
    std::string stdin_text;
    int seconds = 0;   // sleep
    int fd = 0;        // exec
    std::string name;  // exec FD</dev/mapper/NAME
};

std::optional<ShellStep> parse_shell_step(const std::string& command, std::string* error);

// Shell word splitting; "|" is a word of its own.
std::optional<std::vector<std::string>> shell_words(const std::string& command, std::string* error);
// printf FORMAT with no arguments: backslash escapes and %%.
std::string printf_format(const std::string& format);

}  // namespace dmemu::cli_test
