// SPDX-License-Identifier: GPL-2.0-only
// `dmsetup ls --tree`: dmsetup.c's tree drawing (_process_tree_options, _display_tree_node,
// _display_tree_walk_children and the _out_* writers), over a DepTree.
//
// -o takes a comma list, each word a prefix of one of (the first it begins wins, in this
// order): device (MAJ:MIN, the default), blkdevname (<dm-0>), nodevice, status, table (both
// accepted, they show nothing in dmsetup 1.02.185), active (ACTIVE|SUSPENDED), open (the open
// count), uuid, rw (RW|RO) (these four in brackets after the device), utf, vt100, ascii (the
// line-drawing set; utf by default in a UTF-8 locale), inverted (each disk first, what uses it
// below), compact (a chain on one line), notrunc. Lines are cut with "..." at the terminal's
// width less 3, or at 80 columns when stdout is no terminal or with vt100; not with notrunc.
//
//   top (254:1)
//    `-base (254:0)
//       `- (1:0)
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "tools/dmsetup/dep_tree.hpp"

namespace dmemu::dmsetup {

// What dmsetup finds out about the terminal it writes to.
struct Terminal {
    int columns = 0;    // TIOCGWINSZ on stdout; 0 when stdout is no terminal
    bool utf8 = false;  // nl_langinfo(CODESET) is "UTF-8" under setlocale(LC_ALL, "")
};

struct TreeSymbols {
    const char* empty_2;   // "  "
    const char* branch_2;  // "|-"
    const char* vert_2;    // "| "
    const char* last_2;    // "`-"
    const char* single_3;  // "---"
    const char* first_3;   // "-+-"
};

struct TreeOptions {
    bool device = true;
    bool blkdevname = false;
    bool table = false;
    bool status = false;
    bool active = false;
    bool rw = false;
    bool open_count = false;
    bool uuid = false;
    bool compact = false;
    bool truncate = true;
    bool inverted = false;
    const TreeSymbols* symbols = nullptr;
    int width = 80;  // _termwidth

    bool print_attributes() const { return active || rw || open_count || uuid; }
    bool print_targets() const { return table || status; }
    bool print_compact() const { return compact && !print_attributes() && !print_targets(); }
};

// _process_tree_options: nullopt after dmsetup's "Tree options not recognised: X." in *error.
std::optional<TreeOptions> parse_tree_options(const std::optional<std::string>& words,
                                              const Terminal& terminal, std::string* error);

// dm_device_get_name(major, minor, 1): a device's kernel name, nullopt when unknown.
using KernelName = std::function<std::optional<std::string>(emu::DevT)>;

// _display_tree_walk_children from the root: the whole tree as dmsetup prints it.
std::string display_tree(const DepTree& tree, const TreeOptions& opts,
                         const KernelName& kernel_name);

}  // namespace dmemu::dmsetup
