// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's command line: getopt_long() with dmsetup's option table (short options
// "cCfG:hj:m:M:no:O:rS:u:U:vy"), GNU permutation (options before or after the command and its
// arguments, "--" ends options), unique prefixes of long options ("--tab"), "--opt=value", and
// glibc's error words ("dmsetup: unrecognized option '--foo'"). The switch checks that
// _process_switches makes after getopt are made here too, with dmsetup's messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "tools/dmsetup/name_mangling.hpp"

namespace dmemu::dmsetup {

struct Options {
    // Counted switches, as dmsetup's _switches[].
    int columns = 0;                       // -c, -C, --columns
    int force = 0;                         // -f, --force
    int help = 0;                          // -h, --help
    int notable = 0;                       // -n, --notable
    int readonly = 0;                      // -r, --readonly
    int verbose = 0;                       // -v
    int inactive = 0;                      // --inactive
    int noflush = 0;                       // --noflush
    int nolockfs = 0;                      // --nolockfs
    int noheadings = 0;                    // --noheadings
    int retry = 0;                         // --retry
    int setuuid = 0;                       // --setuuid
    int version = 0;                       // --version
    int nameprefixes = 0;                  // --nameprefixes
    int unquoted = 0;                      // --unquoted
    int rows = 0;                          // --rows
    int showkeys = 0;                      // --showkeys
    int tree = 0;                          // --tree
    int yes = 0;                           // -y, --yes
    std::optional<std::string> table;      // --table
    std::optional<std::string> uuid;       // -u, --uuid
    std::optional<std::string> fields;     // -o, --options
    std::optional<std::string> separator;  // --separator
    std::optional<int> headings;           // --headings none|abbrev|full|0|1|2
    std::optional<std::string> target;     // --target
    std::optional<std::string> exec;       // --exec
    std::optional<int> major;              // -j, --major
    std::optional<int> minor;              // -m, --minor
    std::optional<std::string> sort;       // -O, --sort
    std::optional<Mangling> manglename;    // --manglename none|auto|hex
    // dmsetup options dmemu recognises but does not emulate ("--select", "--exec", ...).
    std::vector<std::string> unsupported;
    // Non-option words in order; the command first.
    std::vector<std::string> args;
};

struct ParsedOptions {
    std::optional<Options> options;
    std::string error;  // stderr text (whole lines) when options is empty
};

// argv without the program name.
ParsedOptions parse_options(const std::vector<std::string>& argv);

// The first non-option word (the command) without judging the options, so commands with their
// own option syntax (dmemu's `disk add --size`) can be routed before dmsetup's parser runs.
std::optional<std::string> first_word(const std::vector<std::string>& argv);

}  // namespace dmemu::dmsetup
