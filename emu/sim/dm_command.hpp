// SPDX-License-Identifier: GPL-2.0-only
// One dmsetup command run inside the world (through the dmsetup library over the world's
// in-process channel: the same words, output and exit code as dmsetup on a kernel), traced as a
// "dm" line. Shared by the dm steps and the expectations that read status or tables.
#pragma once

#include <string>
#include <vector>

#include "emu/sim/world.hpp"

namespace dmemu::scenario {

struct DmOutcome {
    int exit_code = 0;
    std::string out;
    std::string err;
};

asio::awaitable<DmOutcome> run_dm(World& world, std::vector<std::string> argv);

// The words as a shell would show them ("load pv --table '0 8 zero'").
std::string shell_join(const std::vector<std::string>& words);
// Text without one trailing newline.
std::string chomp(std::string s);

}  // namespace dmemu::scenario
