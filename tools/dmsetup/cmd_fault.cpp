// SPDX-License-Identifier: GPL-2.0-only
// dmemu's block-fault commands on a running emulator (issue #7's live mode):
//   fault add DISK SPEC...   installs a fault; SPEC is the words after DISK joined with spaces
//                            (docs/faults.md "Spec syntax"); prints the new fault's id
//   fault ls [DISK]          the faults of DISK, or of every disk
//   fault rm DISK ID
//   fault clear [DISK]       removes every fault of DISK, or of every disk
// `fault ls` prints "DISK ID KIND FIRED SPEC" columns under a heading, disks in name order and
// each disk's faults in install order, or "No faults found". Errors are printed as the daemon
// words them ("fault: no disk named 'x'", the spec parser's "fault: eio: ...") and exit 1, as
// the disk commands do. The only option is -h/--help; "--" lets a spec word start with '-'.
#include <algorithm>
#include <cctype>

#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmCommand;
using emu::DmReply;
using emu::DmRequest;

namespace {

using Words = std::vector<std::string>;

std::optional<std::uint64_t> parse_fault_id(const std::string& word) {
    if (word.empty() || word.size() > 19) return std::nullopt;
    if (!std::all_of(word.begin(), word.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    return std::stoull(word);
}

std::string join(Words::const_iterator first, Words::const_iterator last) {
    std::string out;
    for (auto it = first; it != last; ++it) out += (out.empty() ? "" : " ") + *it;
    return out;
}

asio::awaitable<int> fault_add(Session& s, const Words& words) {
    if (words.size() < 2) {
        s.error("fault add: a disk name and a fault spec are required");
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::fault_add;
    req.name = words[0];
    req.message = join(words.begin() + 1, words.end());
    const DmReply reply = co_await s.channel().call(req);
    if (reply.error) co_return dmemu_command_failed(s, reply, "fault add " + req.name);
    // The id alone, so a script can keep it: id=$(dmemu-setup fault add ...).
    for (const auto& f : reply.faults) s.out += fmt::format("{}\n", f.id);
    co_return 0;
}

asio::awaitable<int> fault_ls(Session& s, const Words& words) {
    if (words.size() > 1) {
        s.error("fault ls: at most one disk name");
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::fault_list;
    if (!words.empty()) req.name = words[0];
    const DmReply reply = co_await s.channel().call(req);
    if (reply.error) co_return dmemu_command_failed(s, reply, "fault ls");
    if (reply.faults.empty()) {
        s.out += "No faults found\n";
        co_return 0;
    }
    // Columns as `disk ls` lays them out: as wide as their widest value, numbers right-aligned.
    std::size_t disk_w = 16, id_w = 2, kind_w = 14, fired_w = 5;  // kind: "lost-unflushed"
    for (const auto& f : reply.faults) {
        disk_w = std::max(disk_w, f.disk.size());
        id_w = std::max(id_w, fmt::formatted_size("{}", f.id));
        kind_w = std::max(kind_w, f.kind.size());
        fired_w = std::max(fired_w, fmt::formatted_size("{}", f.fired));
    }
    const auto row = [&](std::string_view disk, std::string_view id, std::string_view kind,
                         std::string_view fired, std::string_view spec) {
        s.out += fmt::format("{:<{}} {:>{}} {:<{}} {:>{}} {}\n", disk, disk_w, id, id_w, kind,
                             kind_w, fired, fired_w, spec);
    };
    row("Disk", "Id", "Kind", "Fired", "Spec");
    for (const auto& f : reply.faults)
        row(f.disk, std::to_string(f.id), f.kind, std::to_string(f.fired), f.spec);
    co_return 0;
}

asio::awaitable<int> fault_rm(Session& s, const Words& words) {
    if (words.size() != 2) {
        s.error("fault rm: a disk name and a fault id are required");
        co_return 1;
    }
    const auto id = parse_fault_id(words[1]);
    if (!id) {
        s.errorf("fault rm: invalid fault id '{}' (a number from fault ls)", words[1]);
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::fault_remove;
    req.name = words[0];
    req.fault_id = *id;
    const DmReply reply = co_await s.channel().call(req);
    co_return reply.error ? dmemu_command_failed(s, reply, "fault rm " + req.name) : 0;
}

asio::awaitable<int> fault_clear(Session& s, const Words& words) {
    if (words.size() > 1) {
        s.error("fault clear: at most one disk name");
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::fault_clear;
    if (!words.empty()) req.name = words[0];
    const DmReply reply = co_await s.channel().call(req);
    co_return reply.error ? dmemu_command_failed(s, reply, "fault clear") : 0;
}

}  // namespace

asio::awaitable<int> run_fault_command(Session& s, const std::vector<std::string>& argv) {
    Words words;
    bool help = false, options_end = false;
    for (const std::string& a : argv) {
        if (!options_end && a == "--") {
            options_end = true;
        } else if (!options_end && (a == "-h" || a == "--help")) {
            help = true;
        } else if (!options_end && a.size() > 1 && a[0] == '-') {
            s.errorf("fault: unknown option '{}'", a);
            co_return 1;
        } else {
            words.push_back(a);
        }
    }
    if (help) {
        s.err += dmemu_commands_usage();
        co_return 0;
    }
    // words[0] is "fault" (dmsetup_main routed on it), words[1] the subcommand.
    const std::string sub = words.size() > 1 ? words[1] : "";
    const Words rest(words.begin() + std::min<std::ptrdiff_t>(2, std::ssize(words)), words.end());
    if (sub == "add") co_return co_await fault_add(s, rest);
    if (sub == "ls") co_return co_await fault_ls(s, rest);
    if (sub == "rm") co_return co_await fault_rm(s, rest);
    if (sub == "clear") co_return co_await fault_clear(s, rest);
    if (sub.empty())
        s.error("fault: a subcommand is required (add, ls, rm, clear)");
    else
        s.errorf("fault: unknown subcommand '{}'", sub);
    s.err += dmemu_commands_usage();
    co_return 1;
}

}  // namespace dmemu::dmsetup
