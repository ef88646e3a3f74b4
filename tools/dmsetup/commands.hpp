// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's commands (dmsetup.c _dmsetup_commands[]): name, usage, argument counts, whether the
// command repeats over several device arguments, and its handler. Handlers mirror dmsetup's
// _create, _remove, _status, ... and return false on failure (the caller adds "Command
// failed."). `names` is set when the handler runs once per device of the device list.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tools/dmsetup/session.hpp"

namespace dmemu::dmsetup {

struct Command;

struct CommandCall {
    const Command* cmd = nullptr;
    std::vector<std::string> argv;  // the arguments left for this call
    const emu::DmNameEntry* names = nullptr;
    bool multiple_devices = false;
};

using CommandFn = boost::asio::awaitable<bool> (*)(Session&, CommandCall);

struct Command {
    const char* name;
    const char* help;
    int min_args;
    int max_args;    // -1: no limit
    int repeatable;  // 1: once per argument; 2: also with --select in dmsetup
    CommandFn fn;    // nullptr: a dmsetup command dmemu does not emulate
};

std::span<const Command> dmsetup_commands();
const Command* find_command(std::string_view name);

// Handlers (cmd_*.cpp).
boost::asio::awaitable<bool> cmd_help(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_create(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_load(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_remove(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_remove_all(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_suspend(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_resume(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_clear(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_wait(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_udevcomplete_all(Session&, CommandCall);  // cmd_udev.cpp
boost::asio::awaitable<bool> cmd_wipe_table(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_rename(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_message(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_ls(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_info(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_deps(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_status(Session&, CommandCall);  // status, table
boost::asio::awaitable<bool> cmd_mknodes(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_splitname(Session&, CommandCall);  // cmd_names.cpp
boost::asio::awaitable<bool> cmd_mangle(Session&, CommandCall);     // cmd_names.cpp
boost::asio::awaitable<bool> cmd_target_version(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_targets(Session&, CommandCall);
boost::asio::awaitable<bool> cmd_version(Session&, CommandCall);

// _process_all: runs fn once per device (in the kernel's name order); "No devices found" when
// there is none and not silent.
boost::asio::awaitable<bool> process_all(Session& s, CommandCall call, bool silent, CommandFn fn);

// dmemu's own commands (disk add|ls|rm, dmesg), with their own option syntax.
boost::asio::awaitable<int> run_dmemu_command(Session& s, const std::vector<std::string>& argv);
// dmemu's block-fault commands (fault add|ls|rm|clear, cmd_fault.cpp).
boost::asio::awaitable<int> run_fault_command(Session& s, const std::vector<std::string>& argv);
// How dmemu's own commands fail: the daemon's own words when the reply has them ("disk: ...",
// "fault: ..."), else "WHAT: <strerror>". Returns the exit status, 1.
int dmemu_command_failed(Session& s, const emu::DmReply& reply, std::string_view what);

}  // namespace dmemu::dmsetup
