// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string_view>

namespace dmemu::dmsetup {

namespace {

constexpr std::string_view kProgram = "dmsetup";
constexpr std::string_view kShortOptions = "cCfG:hj:m:M:no:O:rS:u:U:vy";

enum class Effect {
    ignored,      // accepted, no effect in the emulator (udev, uid/gid/mode, stats tuning, ...)
    unsupported,  // changes dmsetup's behaviour in a way dmemu does not emulate
    handled,      // see apply()
};

struct LongOption {
    const char* name;
    bool has_arg;
    Effect effect;
};

// dmsetup 1.02.185's _long_options[], in its order (getopt_long's ambiguity report follows it).
constexpr LongOption kLongOptions[] = {
    {"addnodeoncreate", false, Effect::ignored},
    {"addnodeonresume", false, Effect::ignored},
    {"alias", true, Effect::ignored},
    {"alldevices", false, Effect::ignored},
    {"allprograms", false, Effect::ignored},
    {"allregions", false, Effect::ignored},
    {"area", false, Effect::ignored},
    {"areas", true, Effect::ignored},
    {"areasize", true, Effect::ignored},
    {"bounds", true, Effect::ignored},
    {"checks", false, Effect::ignored},
    {"clear", false, Effect::ignored},
    {"columns", false, Effect::handled},
    {"concise", false, Effect::unsupported},
    {"count", true, Effect::unsupported},
    {"deferred", false, Effect::unsupported},
    {"exec", true, Effect::handled},
    {"filemap", false, Effect::ignored},
    {"follow", true, Effect::ignored},
    {"force", false, Effect::handled},
    {"foreground", false, Effect::ignored},
    {"gid", true, Effect::ignored},
    {"group", false, Effect::ignored},
    {"groupid", true, Effect::ignored},
    {"headings", true, Effect::handled},
    {"help", false, Effect::handled},
    {"histogram", false, Effect::ignored},
    {"inactive", false, Effect::handled},
    {"interval", true, Effect::unsupported},
    {"length", true, Effect::ignored},
    {"major", true, Effect::handled},
    {"manglename", true, Effect::handled},
    {"minor", true, Effect::handled},
    {"mode", true, Effect::handled},
    {"nameprefixes", false, Effect::handled},
    {"noflush", false, Effect::handled},
    {"nogroup", false, Effect::ignored},
    {"noheadings", false, Effect::handled},
    {"nolockfs", false, Effect::handled},
    {"nomonitor", false, Effect::ignored},
    {"noopencount", false, Effect::ignored},
    {"nosuffix", false, Effect::ignored},
    {"notable", false, Effect::handled},
    {"notimesuffix", false, Effect::ignored},
    {"noudevrules", false, Effect::ignored},
    {"noudevsync", false, Effect::ignored},
    {"options", true, Effect::handled},
    {"precise", false, Effect::ignored},
    {"programid", true, Effect::ignored},
    {"raw", false, Effect::ignored},
    {"readahead", true, Effect::handled},
    {"readonly", false, Effect::handled},
    {"region", false, Effect::ignored},
    {"regionid", true, Effect::ignored},
    {"regions", true, Effect::ignored},
    {"relative", false, Effect::ignored},
    {"retry", false, Effect::handled},
    {"rows", false, Effect::handled},
    {"segments", false, Effect::ignored},
    {"select", true, Effect::unsupported},
    {"separator", true, Effect::handled},
    {"setuuid", false, Effect::handled},
    {"showkeys", false, Effect::handled},
    {"sort", true, Effect::handled},
    {"start", true, Effect::ignored},
    {"table", true, Effect::handled},
    {"target", true, Effect::handled},
    {"tree", false, Effect::handled},
    {"udevcookie", true, Effect::ignored},
    {"uid", true, Effect::ignored},
    {"unbuffered", false, Effect::ignored},
    {"units", true, Effect::ignored},
    {"unquoted", false, Effect::handled},
    {"userdata", true, Effect::ignored},
    {"uuid", true, Effect::handled},
    {"verbose", true, Effect::handled},
    {"verifyudev", false, Effect::ignored},
    {"version", false, Effect::handled},
    {"yes", false, Effect::handled},
};

// Short options as the long option they alias.
const char* short_alias(char c) {
    switch (c) {
        case 'c':
        case 'C':
            return "columns";
        case 'f':
            return "force";
        case 'G':
            return "gid";
        case 'h':
            return "help";
        case 'j':
            return "major";
        case 'm':
            return "minor";
        case 'M':
            return "mode";
        case 'n':
            return "notable";
        case 'o':
            return "options";
        case 'O':
            return "sort";
        case 'r':
            return "readonly";
        case 'S':
            return "select";
        case 'u':
            return "uuid";
        case 'U':
            return "uid";
        case 'v':
            return "verbose";
        case 'y':
            return "yes";
        default:
            return nullptr;
    }
}

const LongOption* find_exact(std::string_view name) {
    for (const auto& o : kLongOptions)
        if (name == o.name) return &o;
    return nullptr;
}

bool short_takes_arg(char c) {
    const auto pos = kShortOptions.find(c);
    return pos + 1 < kShortOptions.size() && kShortOptions[pos + 1] == ':';
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(x) == std::tolower(y);
           });
}

// One recognised option occurrence: returns dmsetup's error line or "". (dmsetup declares
// --verbose with a required argument while -v takes none; getopt enforces both, so do we.)
std::string apply(Options& o, std::string_view name, const std::string& arg) {
    const LongOption* opt = find_exact(name);
    if (opt->effect == Effect::unsupported) {
        o.unsupported.emplace_back(name);
        return {};
    }
    if (name == "columns")
        ++o.columns;
    else if (name == "force")
        ++o.force;
    else if (name == "help")
        ++o.help;
    else if (name == "notable")
        ++o.notable;
    else if (name == "readonly")
        ++o.readonly;
    else if (name == "verbose")
        ++o.verbose;
    else if (name == "inactive")
        ++o.inactive;
    else if (name == "noflush")
        ++o.noflush;
    else if (name == "nolockfs")
        ++o.nolockfs;
    else if (name == "noheadings")
        ++o.noheadings;
    else if (name == "retry")
        ++o.retry;
    else if (name == "setuuid")
        ++o.setuuid;
    else if (name == "version")
        ++o.version;
    else if (name == "nameprefixes")
        ++o.nameprefixes;
    else if (name == "unquoted")
        ++o.unquoted;
    else if (name == "rows")
        ++o.rows;
    else if (name == "showkeys")
        ++o.showkeys;
    else if (name == "tree")
        ++o.tree;
    else if (name == "yes")
        ++o.yes;
    else if (name == "exec")
        o.exec = arg;
    else if (name == "table")
        o.table = arg;
    else if (name == "uuid")
        o.uuid = arg;
    else if (name == "options")
        o.fields = arg;
    else if (name == "separator")
        o.separator = arg;
    else if (name == "sort")
        o.sort = arg;
    else if (name == "target")
        o.target = arg;
    else if (name == "major")
        o.major = std::atoi(arg.c_str());
    else if (name == "minor")
        o.minor = std::atoi(arg.c_str());
    else if (name == "headings") {
        if (iequals(arg, "none") || arg == "0")
            o.headings = 0;
        else if (iequals(arg, "abbrev") || arg == "1")
            o.headings = 1;
        else if (iequals(arg, "full") || arg == "2")
            o.headings = 2;
        else
            return "Unknown headings type.";
    } else if (name == "manglename") {
        o.manglename = parse_mangling(arg);
        if (!o.manglename) return "Unknown name mangling mode.";
    } else if (name == "mode") {
        char* end = nullptr;
        errno = 0;
        const long mode = std::strtol(arg.c_str(), &end, 8);
        if (errno != 0 || *end != '\0' || mode == 0)
            return fmt::format("Invalid argument for --mode: {}. ", arg);
    } else if (name == "readahead") {
        if (!iequals(arg, "auto") && !iequals(arg, "none") && std::atoi(arg.c_str()) < -1)
            return fmt::format("Negative read ahead value ({}) is not understood.",
                               std::atoi(arg.c_str()));
    }
    return {};
}

// Walks argv as getopt_long would. on_option(name, arg) returns an error line or "".
// Returns an error (whole stderr lines) or "".
std::string walk(const std::vector<std::string>& argv,
                 const std::function<std::string(std::string_view, const std::string&)>& on_option,
                 std::vector<std::string>& words) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "--") {
            words.insert(words.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
            break;
        }
        if (a.rfind("--", 0) == 0) {
            const std::string_view body = std::string_view(a).substr(2);
            const auto eq = body.find('=');
            const std::string_view name = body.substr(0, eq);
            const LongOption* found = find_exact(name);
            if (!found) {
                std::vector<const LongOption*> matches;
                for (const auto& o : kLongOptions)
                    if (std::string_view(o.name).substr(0, name.size()) == name)
                        matches.push_back(&o);
                if (matches.empty() || name.empty())
                    return fmt::format("{}: unrecognized option '{}'\n", kProgram, a);
                if (matches.size() > 1) {
                    std::string msg =
                        fmt::format("{}: option '{}' is ambiguous; possibilities:", kProgram, a);
                    for (const auto* m : matches) msg += fmt::format(" '--{}'", m->name);
                    return msg + "\n";
                }
                found = matches.front();
            }
            std::string arg;
            if (eq != std::string_view::npos) {
                if (!found->has_arg)
                    return fmt::format("{}: option '--{}' doesn't allow an argument\n", kProgram,
                                       found->name);
                arg = std::string(body.substr(eq + 1));
            } else if (found->has_arg) {
                if (i + 1 >= argv.size())
                    return fmt::format("{}: option '--{}' requires an argument\n", kProgram,
                                       found->name);
                arg = argv[++i];
            }
            if (std::string e = on_option(found->name, arg); !e.empty()) return e + "\n";
            continue;
        }
        if (a.size() > 1 && a[0] == '-') {
            for (std::size_t k = 1; k < a.size(); ++k) {
                const char c = a[k];
                const char* alias = short_alias(c);
                if (!alias || c == ':')
                    return fmt::format("{}: invalid option -- '{}'\n", kProgram, c);
                std::string arg;
                if (short_takes_arg(c)) {
                    if (k + 1 < a.size()) {
                        arg = a.substr(k + 1);
                    } else if (i + 1 < argv.size()) {
                        arg = argv[++i];
                    } else {
                        return fmt::format("{}: option requires an argument -- '{}'\n", kProgram,
                                           c);
                    }
                    k = a.size();
                }
                if (std::string e = on_option(alias, arg); !e.empty()) return e + "\n";
            }
            continue;
        }
        words.push_back(a);
    }
    return {};
}

}  // namespace

ParsedOptions parse_options(const std::vector<std::string>& argv) {
    Options o;
    ParsedOptions out;
    out.error = walk(
        argv, [&](std::string_view name, const std::string& arg) { return apply(o, name, arg); },
        o.args);
    if (!out.error.empty()) return out;
    // _process_switches' checks after getopt.
    if (o.major.has_value() != o.minor.has_value()) {
        out.error = "Please specify both major number and minor number.\n";
        return out;
    }
    if (o.table && o.notable) {
        out.error = "--table and --notable are incompatible.\n";
        return out;
    }
    out.options = std::move(o);
    return out;
}

std::optional<std::string> first_word(const std::vector<std::string>& argv) {
    std::vector<std::string> words;
    walk(
        argv, [](std::string_view, const std::string&) { return std::string(); }, words);
    if (words.empty()) return std::nullopt;
    return words.front();
}

}  // namespace dmemu::dmsetup
