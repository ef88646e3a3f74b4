// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's main(): the command table, switch processing, usage errors and the loop that runs a
// repeatable command once per device argument.
#include "tools/dmsetup/dmsetup.hpp"

#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;

namespace {

#define T "\n\t    "
// dmsetup.c _dmsetup_commands[], in its order; fn == nullptr: not emulated.
const Command kCommands[] = {
    {"help", "[-c|-C|--columns]", 0, 0, 0, cmd_help},
    {"create",
     "<dev_name>" T "[-j|--major <major> -m|--minor <minor>]" T
     "[-U|--uid <uid>] [-G|--gid <gid>] [-M|--mode <octal_mode>]" T
     "[-u|--uuid <uuid>] [--addnodeonresume|--addnodeoncreate]" T
     "[--readahead {[+]<sectors>|auto|none}]" T
     "[-n|--notable|--table {<table>|<table_file>}]\n\tcreate --concise "
     "[<concise_device_spec_list>]",
     0, 2, 0, cmd_create},
    {"remove", "[--deferred] [-f|--force] [--retry] <device>...", 0, -1, 2, cmd_remove},
    {"remove_all", "[-f|--force]", 0, 0, 0, cmd_remove_all},
    {"suspend", "[--noflush] [--nolockfs] <device>...", 0, -1, 2, cmd_suspend},
    {"resume",
     "[--noflush] [--nolockfs] <device>...\n\t       [--addnodeonresume|--addnodeoncreate]\n"
     "\t       [--readahead {[+]<sectors>|auto|none}]",
     0, -1, 2, cmd_resume},
    {"load", "<device> [<table>|<table_file>]", 0, 2, 0, cmd_load},
    {"clear", "<device>", 0, -1, 2, cmd_clear},
    {"reload", "<device> [<table>|<table_file>]", 0, 2, 0, cmd_load},
    {"wipe_table", "[-f|--force] [--noflush] [--nolockfs] <device>...", 0, -1, 2, cmd_wipe_table},
    {"rename", "<device> [--setuuid] <new_name_or_uuid>", 1, 2, 0, cmd_rename},
    {"measure", "[<device>...]", 0, -1, 2, nullptr},
    {"message", "<device> <sector> <message>", 2, -1, 0, cmd_message},
    {"ls", "[--target <target_type>] [--exec <command>] [-o <options>] [--tree]", 0, 0, 0, cmd_ls},
    {"info", "[<device>...]", 0, -1, 1, cmd_info},
    {"deps", "[-o <options>] [<device>...]", 0, -1, 2, cmd_deps},
    {"stats", "<command> [<options>] [<device>...]", 1, -1, 1, nullptr},
    {"status", "[<device>...] [--noflush] [--target <target_type>]", 0, -1, 2, cmd_status},
    {"table", "[<device>...] [--concise] [--target <target_type>] [--showkeys]", 0, -1, 2,
     cmd_status},
    {"wait", "<device> [<event_nr>] [--noflush]", 0, 2, 0, cmd_wait},
    {"mknodes", "[<device>...]", 0, -1, 1, cmd_mknodes},
    {"mangle", "[<device>...]", 0, -1, 1, cmd_mangle},
    {"udevcreatecookie", "", 0, 0, 0, nullptr},
    {"udevreleasecookie", "[<cookie>]", 0, 1, 0, nullptr},
    {"udevflags", "<cookie>", 1, 1, 0, nullptr},
    {"udevcomplete", "<cookie>", 1, 1, 0, nullptr},
    {"udevcomplete_all", "[<age_in_minutes>]", 0, 1, 0, cmd_udevcomplete_all},
    {"udevcookies", "", 0, 0, 0, nullptr},
    {"target-version", "[<target>...]", 1, -1, 1, cmd_target_version},
    {"targets", "", 0, 0, 0, cmd_targets},
    {"version", "", 0, 0, 0, cmd_version},
    {"setgeometry", "<device> <cyl> <head> <sect> <start>", 5, 5, 0, nullptr},
    {"splitname", "<device> [<subsystem>]", 1, 2, 0, cmd_splitname},
};
#undef T

// _process_options for commands without -c: how ls and deps name devices.
bool process_dev_name_options(Session& s) {
    if (s.opts.columns || !s.opts.fields) return true;
    std::string_view rest = *s.opts.fields;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view word = rest.substr(0, comma);
        if (!word.empty() && std::string_view("devno").substr(0, word.size()) == word) {
            s.dev_name_type = DevNameType::devno;
        } else if (!word.empty() && std::string_view("blkdevname").substr(0, word.size()) == word) {
            s.dev_name_type = DevNameType::blk;
        } else if (!word.empty() && std::string_view("devname").substr(0, word.size()) == word) {
            s.dev_name_type = DevNameType::map;
        } else {
            s.errorf("Option not recognised: {}.", rest);
            return false;
        }
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
    }
    return true;
}

// _perform_command_for_all_repeatable_args.
asio::awaitable<bool> run_for_all_args(Session& s, const Command& cmd,
                                       std::vector<std::string> argv, bool multiple_devices) {
    std::size_t first = 0;
    do {
        CommandCall call;
        call.cmd = &cmd;
        call.argv.assign(argv.begin() + static_cast<long>(first), argv.end());
        call.multiple_devices = multiple_devices;
        if (!co_await cmd.fn(s, std::move(call))) {
            s.error("Command failed.");
            co_return false;
        }
        ++first;
    } while (cmd.repeatable && first < argv.size());
    co_return true;
}

asio::awaitable<int> dmsetup_main(Session& s, const std::vector<std::string>& argv) {
    if (auto word = first_word(argv); word && (*word == "disk" || *word == "dmesg"))
        co_return co_await run_dmemu_command(s, argv);
    if (first_word(argv) == "fault") co_return co_await run_fault_command(s, argv);
    ParsedOptions parsed = parse_options(argv);
    if (!parsed.options) {
        s.err += parsed.error;
        s.error("Couldn't process command line.");
        co_return 1;
    }
    s.opts = std::move(*parsed.options);
    if (s.opts.manglename) s.mangling = *s.opts.manglename;
    if (!s.opts.unsupported.empty()) {
        s.errorf("dmsetup: option '--{}' is not supported by dmemu", s.opts.unsupported.front());
        co_return 1;
    }
    std::vector<std::string> args = s.opts.args;
    const Command* cmd = nullptr;
    if (s.opts.help) {
        // dmemu's addition: `dmsetup CMD --help` shows that command's usage only.
        const Command* named = args.empty() ? nullptr : find_command(args.front());
        if (named && named->fn != cmd_help) {
            s.err += command_usage(*named);
            co_return 0;
        }
        cmd = find_command("help");
        args.clear();
    } else if (s.opts.version) {
        cmd = find_command("version");
        args.clear();
    } else {
        if (args.empty()) {
            s.err += dmsetup_usage();
            co_return 1;
        }
        cmd = find_command(args.front());
        if (!cmd) {
            s.error("Unknown command.");
            s.err += dmsetup_usage();
            co_return 1;
        }
        args.erase(args.begin());
        const int argc = static_cast<int>(args.size());
        if (argc < cmd->min_args || (cmd->max_args >= 0 && argc > cmd->max_args)) {
            s.error("Incorrect number of arguments.");
            s.err += dmsetup_usage();
            co_return 1;
        }
        if (!cmd->fn) {
            s.errorf("dmsetup: '{}' is not supported by dmemu", cmd->name);
            co_return 1;
        }
        // dmsetup's main(): splitname always reports; mangle's own tasks use mode none.
        if (cmd->fn == cmd_splitname && !s.opts.columns) ++s.opts.columns;
        if (cmd->fn == cmd_mangle) s.mangling = Mangling::none;
        // _process_options: with --tree, -o holds tree options whatever the command.
        if (s.opts.tree) {
            std::string error;
            s.tree_options = parse_tree_options(s.opts.fields, s.terminal, &error);
            if (!s.tree_options) {
                s.error(error);
                s.error("Couldn't process command line.");
                co_return 1;
            }
        } else if (!process_dev_name_options(s)) {
            s.error("Couldn't process command line.");
            co_return 1;
        }
        if (s.opts.columns && cmd->fn != cmd_help) {
            if (s.opts.sort && cmd->fn == cmd_status) {
                s.error("--sort is not yet supported with status and table.");
                co_return 1;
            }
            std::string error, help;
            s.report =
                Report::create(report_config(s.opts, cmd->fn == cmd_splitname), &error, &help);
            s.err += error + help;
            if (!s.report) co_return 1;
            // _report_init: the tree_ fields need the whole tree before the first row.
            if (s.report->needs_tree()) {
                BuiltDepTree built = co_await build_whole_deptree(s);
                s.dep_tree = std::move(built.tree);
                if (!built.ok) co_return 1;
            }
        }
    }
    const int argc = static_cast<int>(args.size());
    const bool multiple_devices =
        cmd->repeatable && argc != 1 && (argc || (!s.opts.uuid && !s.opts.major));
    const bool ok = co_await run_for_all_args(s, *cmd, args, multiple_devices);
    if (s.report) s.out += s.report->output();
    co_return (s.opts.help || s.opts.version) ? 0 : (ok ? 0 : 1);
}

}  // namespace

std::span<const Command> dmsetup_commands() { return kCommands; }

const Command* find_command(std::string_view name) {
    for (const auto& c : kCommands)
        if (name == c.name) return &c;
    return nullptr;
}

asio::awaitable<DmsetupResult> run_dmsetup(IoctlChannel& channel, std::vector<std::string> argv,
                                           std::function<std::string()> read_stdin,
                                           Terminal terminal) {
    Session s(channel, std::move(read_stdin));
    s.terminal = terminal;
    DmsetupResult r;
    try {
        r.exit_code = co_await dmsetup_main(s, argv);
    } catch (const std::exception& e) {
        // The channel is gone (daemon not running or died): not a dmsetup error.
        s.error(e.what());
        r.exit_code = 1;
    }
    r.out = std::move(s.out);
    r.err = std::move(s.err);
    co_return r;
}

asio::awaitable<DmsetupResult> run_dmsetup(IoctlChannel& channel, std::vector<std::string> argv,
                                           std::string stdin_text, Terminal terminal) {
    std::function<std::string()> reader = [text = std::move(stdin_text)] { return text; };
    co_return co_await run_dmsetup(channel, std::move(argv), std::move(reader), terminal);
}

}  // namespace dmemu::dmsetup
