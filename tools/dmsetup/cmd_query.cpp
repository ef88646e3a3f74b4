// SPDX-License-Identifier: GPL-2.0-only
// Commands that read: info, table, status, deps, ls, targets, target-version, version, help,
// mknodes (dmsetup.c _info, _status, _deps, _ls, _display_name, _targets, _version, ...).
//
// Output forms:
//   table/status   "START LENGTH TYPE PARAMS" per target ("NAME: " first when several devices
//                  are shown); a device without a table prints an empty line
//   deps           "N dependencies\t: (MAJ, MIN) ..." or, with -o blkdevname|devname, "(name)"
//   ls             "NAME\t(MAJ:MIN)", or "NAME\t(MAJ, MIN)" with --target; "No devices found"
//   targets        "%-16s v%d.%d.%d"
#include <map>
#include <utility>

#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/exec_command.hpp"
#include "tools/dmsetup/info_display.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmRequest;

namespace {

// Requests naming no device. Named, not a temporary: GCC 12 mis-copies prvalue arguments of
// coroutines with non-trivial parameters (free() of the caller's SSO buffer).
const DmRequest kNoDevice;

constexpr const char* kLibraryVersion = "1.02.185 (2022-05-18)";

// The device a per-device command works on: from the device list, the argument, or (no
// argument, no -u/-j) every device in turn.
struct Target {
    std::optional<std::string> name;
    bool all = false;
};

Target target_of(const Session& s, const CommandCall& call) {
    if (call.names) return {call.names->name, false};
    if (call.argv.empty() && !s.opts.uuid && !s.opts.major) return {std::nullopt, true};
    if (call.argv.empty()) return {std::nullopt, false};
    return {call.argv[0], false};
}

// dm_device_get_name for `ls -o` and `deps -o`.
asio::awaitable<std::string> dev_label(Session& s, emu::DevT devt, const char* devno_format) {
    if (s.dev_name_type != DevNameType::devno) {
        const bool kernel_name = s.dev_name_type == DevNameType::blk;
        const std::optional<std::string> name = co_await s.device_name(devt, kernel_name);
        if (name) co_return "(" + *name + ")";
    }
    co_return fmt::format(fmt::runtime(devno_format), devt.major, devt.minor);
}

asio::awaitable<bool> display_name(Session& s, CommandCall call) {
    if (!call.names) co_return true;
    const std::string label = co_await dev_label(s, call.names->devt, "({}:{})");
    s.out += call.names->name + "\t" + label + "\n";
    co_return true;
}

}  // namespace

asio::awaitable<bool> process_all(Session& s, CommandCall call, bool silent, CommandFn fn) {
    auto list = co_await s.run(Task::names, kNoDevice);
    if (!list) co_return false;
    if (list->names.empty()) {
        if (!silent) s.out += "No devices found\n";
        co_return true;
    }
    bool ok = true;
    for (const auto& entry : list->names) {
        CommandCall each = call;
        each.names = &entry;
        each.multiple_devices = true;
        if (!co_await fn(s, std::move(each))) ok = false;
    }
    co_return ok;
}

asio::awaitable<bool> cmd_help(Session& s, CommandCall) {
    s.err += dmsetup_usage();
    if (s.opts.columns) s.err += Report::field_list();
    co_return true;
}

asio::awaitable<bool> cmd_info(Session& s, CommandCall call) {
    const Target t = target_of(s, call);
    if (t.all) co_return co_await process_all(s, std::move(call), false, cmd_info);
    DmRequest req;
    if (!co_await s.set_device(req, t.name ? &*t.name : nullptr, Task::info)) co_return false;
    req.inactive = s.opts.inactive > 0;
    auto reply = co_await s.run(Task::info, req);
    if (!reply) co_return false;
    co_return co_await display_info(s, *reply);
}

asio::awaitable<bool> cmd_status(Session& s, CommandCall call) {
    const Target t = target_of(s, call);
    if (t.all) co_return co_await process_all(s, std::move(call), false, cmd_status);
    const std::string_view cmd = call.cmd->name;
    const Task task = cmd == "table" ? Task::table : Task::status;
    const bool ls_only = cmd == "ls";
    DmRequest req;
    if (!co_await s.set_device(req, t.name ? &*t.name : nullptr, task)) co_return false;
    req.inactive = s.opts.inactive > 0;
    req.noflush = s.opts.noflush > 0;
    auto reply = co_await s.run(task, req);
    if (!reply) co_return false;
    if (!reply->info.exists) {
        s.error("Device does not exist.");
        co_return false;
    }
    const std::string name = t.name ? *t.name : reply->info.name;
    const auto& targets = reply->targets;
    bool matched = false;
    // dm_get_next_target: a device without a table still makes one pass, with no target.
    for (std::size_t i = 0; i == 0 || i < targets.size(); ++i) {
        const emu::DmTargetLine* line = i < targets.size() ? &targets[i] : nullptr;
        if (s.opts.target && (!line || line->type != *s.opts.target)) continue;
        // With --exec the device's lines are shown only with -v.
        const bool show = !s.opts.exec || s.opts.verbose;
        if (ls_only) {
            if (show)
                s.out += fmt::format("{}\t({}, {})\n", name, reply->info.devt.major,
                                     reply->info.devt.minor);
            matched = true;
            break;
        }
        if (show) {
            if (!matched && s.opts.verbose) display_info_long(s, reply->info);
            if (call.multiple_devices && !s.opts.verbose) s.out += name + ": ";
            if (line)
                s.out +=
                    fmt::format("{} {} {} {}", line->start, line->length, line->type, line->params);
            s.out += '\n';
        }
        matched = true;
    }
    if (call.multiple_devices && s.opts.verbose && matched && !ls_only) s.out += '\n';
    if (matched && s.opts.exec && !exec_command(s, name)) co_return false;
    co_return true;
}

asio::awaitable<bool> cmd_deps(Session& s, CommandCall call) {
    const Target t = target_of(s, call);
    if (t.all) co_return co_await process_all(s, std::move(call), false, cmd_deps);
    DmRequest req;
    if (!co_await s.set_device(req, t.name ? &*t.name : nullptr, Task::deps)) co_return false;
    req.inactive = s.opts.inactive > 0;
    auto reply = co_await s.run(Task::deps, req);
    if (!reply) co_return false;
    if (!reply->info.exists) {
        s.out += "Device does not exist.\n";
        co_return true;
    }
    if (s.opts.verbose) display_info_long(s, reply->info);
    if (call.multiple_devices && !s.opts.verbose)
        s.out += (t.name ? *t.name : reply->info.name) + ": ";
    std::string line = fmt::format("{} dependencies\t:", reply->deps.size());
    for (const auto& d : reply->deps) {
        const std::string label = co_await dev_label(s, d, "({}, {})");
        line += " " + label;
    }
    s.out += line + "\n";
    if (call.multiple_devices && s.opts.verbose) s.out += '\n';
    co_return true;
}

// _display_tree: the tree is shown even when an ioctl left it incomplete, then the command
// fails.
asio::awaitable<bool> display_tree(Session& s) {
    bool ok = true;
    if (!s.dep_tree) {
        BuiltDepTree built = co_await build_whole_deptree(s);
        s.dep_tree = std::move(built.tree);
        ok = built.ok;
    }
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::optional<std::string>> knames;
    if (s.tree_options->blkdevname)
        for (std::size_t i = 1; i < s.dep_tree->size(); ++i) {
            const emu::DmInfo& info = s.dep_tree->node(i).info;
            // dm_device_get_name reads /sys/dev/block/MAJ:MIN, which a mapped device has only
            // from its first table load on (6.1's table_load -> dm_setup_md_queue -> add_disk).
            if (info.exists && !info.live_table && !info.inactive_table) continue;
            knames[{info.devt.major, info.devt.minor}] = co_await s.device_name(info.devt, true);
        }
    s.out += dmsetup::display_tree(*s.dep_tree, *s.tree_options, [&](emu::DevT devt) {
        return knames[{devt.major, devt.minor}];
    });
    co_return ok;
}

asio::awaitable<bool> cmd_ls(Session& s, CommandCall call) {
    if (s.opts.target || s.opts.exec) {
        call.argv.clear();
        co_return co_await process_all(s, std::move(call), false, cmd_status);
    }
    if (s.opts.tree) co_return co_await display_tree(s);
    co_return co_await process_all(s, std::move(call), false, display_name);
}

asio::awaitable<bool> cmd_mknodes(Session&, CommandCall) {
    // Device nodes are the FUSE front end's (DIR/mnt), kept current by the daemon itself.
    co_return true;
}

asio::awaitable<bool> cmd_targets(Session& s, CommandCall) {
    auto reply = co_await s.run(Task::versions, kNoDevice);
    if (!reply) co_return false;
    for (const auto& v : reply->versions)
        s.out += fmt::format("{:<16} v{}.{}.{}\n", v.name, v.version.major, v.version.minor,
                             v.version.patch);
    co_return true;
}

asio::awaitable<bool> cmd_target_version(Session& s, CommandCall call) {
    // DM_GET_TARGET_VERSION, answered from the version list.
    auto reply = co_await s.run(Task::target_version, kNoDevice);
    if (!reply) co_return false;
    for (const auto& v : reply->versions) {
        if (v.name != call.argv[0]) continue;
        s.out += fmt::format("{:<16} v{}.{}.{}\n", v.name, v.version.major, v.version.minor,
                             v.version.patch);
        co_return true;
    }
    s.errorf("device-mapper: target-version ioctl on {}  failed: Invalid argument", call.argv[0]);
    co_return false;
}

asio::awaitable<bool> cmd_version(Session& s, CommandCall) {
    s.out += fmt::format("Library version:   {}\n", kLibraryVersion);
    auto reply = co_await s.run(Task::version, kNoDevice);
    if (!reply) co_return false;
    s.out += fmt::format("Driver version:    {}\n", reply->driver_version);
    s.report.reset();  // no column headings for `version`
    co_return true;
}

}  // namespace dmemu::dmsetup
