// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/usage.hpp"

#include <fmt/format.h>

#include "emu/faults/fault_kinds.hpp"
#include "tools/dmsetup/commands.hpp"

namespace dmemu::dmsetup {

std::string dmsetup_usage() {
    std::string s =
        "Usage:\n\n"
        "dmsetup\n"
        "        [--version] [-h|--help [-c|-C|--columns]]\n"
        "        [-v|--verbose [-v|--verbose ...]] [-f|--force]\n"
        "        [--checks] [--manglename {none|hex|auto}]\n"
        "        [-r|--readonly] [--noopencount] [--noflush] [--nolockfs] [--inactive]\n"
        "        [--udevcookie <cookie>] [--noudevrules] [--noudevsync] [--verifyudev]\n"
        "        [-y|--yes] [--readahead {[+]<sectors>|auto|none}] [--retry]\n"
        "        [-c|-C|--columns] [-o <fields>] [-O|--sort <sort_fields>]\n"
        "        [-S|--select <selection>] [--nameprefixes]\n"
        "        [--noheadings|--headings none|abbrev|full|0|1|2]\n"
        "        [--separator <separator>]\n\n";
    for (const auto& c : dmsetup_commands()) s += fmt::format("\t{} {}\n", c.name, c.help);
    s += "\n<device> may be device name or (if only one) -u <uuid> or -j <major> -m <minor>\n"
         "<mangling_mode> is one of 'none', 'auto' and 'hex'.\n"
         "<fields> are comma-separated.  Use 'help -c' for list.\n"
         "<concise_device_specification> has single-device entries separated by semi-colons:\n"
         "    <name>,<uuid>,<minor>,<flags>,<table>\n"
         "        where <flags> is 'ro' or 'rw' (the default) and any of <uuid>, <minor>\n"
         "        and <flags> may be empty. Separate extra table lines with commas.\n"
         "    E.g.: dev1,,,,0 100 linear 253:1 0,100 100 error;dev2,,,ro,0 1 error\n"
         "Table_file contents may be supplied on stdin.\n"
         "Options are: devno, devname, blkdevname.\n"
         "Tree specific options are: ascii, utf, vt100; compact, inverted, notrunc;\n"
         "                           blkdevname, [no]device, active, open, rw and uuid.\n\n";
    return s + dmemu_commands_usage();
}

std::string command_usage(const Command& cmd) {
    std::string s = fmt::format("Usage:\n\ndmsetup {} {}\n\n", cmd.name, cmd.help);
    if (!cmd.fn) s += fmt::format("dmemu does not emulate '{}'.\n\n", cmd.name);
    return s;
}

std::string dmemu_commands_usage() {
    std::string s =
        "dmemu commands:\n\n"
        "\tdisk add <name> (--size <size> | --file <path>) [--devno <major>:<minor>]\n"
        "\tdisk ls\n"
        "\tdisk rm <name>\n"
        "\tdmesg\n"
        "\tfault add <disk> <spec>...\n"
        "\tfault ls [<disk>]\n"
        "\tfault rm <disk> <id>\n"
        "\tfault clear [<disk>]\n\n"
        "<size> is bytes, or a number with a suffix: s (512-byte sectors), K, M, G, T.\n"
        "<spec> is a block fault (docs/faults.md), one of:\n";
    // From the kinds' own grammar lines, so a new kind shows up here without an edit.
    for (const emu::FaultKind* k : emu::fault_kinds()) s += fmt::format("\t{}\n", k->grammar);
    return s + "\n";
}

}  // namespace dmemu::dmsetup
