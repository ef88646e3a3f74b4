// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's help texts: the usage (dmsetup.c _dmsetup_usage, printed to stderr by `help`,
// --help, and after usage errors), one command's usage (`dmsetup CMD --help`, dmemu's
// addition), and dmemu's own commands.
#pragma once

#include <string>

namespace dmemu::dmsetup {

struct Command;

std::string dmsetup_usage();
std::string command_usage(const Command& cmd);
std::string dmemu_commands_usage();

}  // namespace dmemu::dmsetup
