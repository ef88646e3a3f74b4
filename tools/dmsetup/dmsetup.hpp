// SPDX-License-Identifier: GPL-2.0-only
// dmsetup 1.02.185's client side over an IoctlChannel: the same command line, the same ioctl
// sequence, the same stdout, stderr and exit code as the real tool on a real kernel (see
// /work/shared/oracle/golden and docs/cli.md), plus dmemu's own `disk` and `dmesg` commands.
//
// argv is the command line without the program name. Exit codes are dmsetup's: 0 success,
// 1 any failure, usage errors included; --help and --version exit 0.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tools/dmsetup/ioctl_channel.hpp"
#include "tools/dmsetup/tree_display.hpp"

namespace dmemu::dmsetup {

struct DmsetupResult {
    std::string out;
    std::string err;
    int exit_code = 0;
};

// Standard input is read at most once, and only by a command that needs it (create or load
// without --table or a file). `terminal` describes stdout (`ls --tree` draws for it); the
// default is no terminal in the C locale, as in the oracle's guest.
boost::asio::awaitable<DmsetupResult> run_dmsetup(IoctlChannel& channel,
                                                  std::vector<std::string> argv,
                                                  std::function<std::string()> read_stdin,
                                                  Terminal terminal = {});
boost::asio::awaitable<DmsetupResult> run_dmsetup(IoctlChannel& channel,
                                                  std::vector<std::string> argv,
                                                  std::string stdin_text, Terminal terminal = {});

}  // namespace dmemu::dmsetup
