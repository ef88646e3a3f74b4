// SPDX-License-Identifier: GPL-2.0-only
// `dmsetup info -c`: libdm's column report (libdm-report.c) over dmsetup's device fields.
//
// Fields are chosen with -o (default "name,major,minor,attr,open,segments,events,uuid", "+f"
// appends, "all" or "<type prefix>all" selects a section; ids match case-insensitively with or
// without underscores). A column is as wide as the widest of its default width and its values;
// headings are cut to that width; numbers align right, strings left; columns are joined by the
// separator, the last one padded too. --noheadings means separator ":" and no alignment;
// --separator disables alignment; --nameprefixes prints DM_FIELD='value'; --rows transposes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/core/dm_ioctl.hpp"
#include "tools/dmsetup/dep_tree.hpp"
#include "tools/dmsetup/name_mangling.hpp"
#include "tools/dmsetup/split_name.hpp"

namespace dmemu::dmsetup {

struct Options;

// One device as the report sees it.
struct ReportObject {
    emu::DmInfo info;
    std::vector<emu::DevT> deps;              // filled when needs_deps()
    std::vector<std::string> dep_blk_names;   // kernel names of deps, same order
    SplitName split;                          // _get_split_name(uuid, name, '-'), or splitname's
    Mangling mangling = Mangling::automatic;  // the library's mode, for the (un)mangled_* fields
    bool split_only = false;                  // a `splitname` row: no device behind it
    const DepTree* tree = nullptr;            // the whole tree, when needs_tree()
    std::size_t tree_node = DepTree::kRoot;   // this device's node in it
};

struct ReportConfig {
    std::string fields = "name,major,minor,attr,open,segments,events,uuid";
    std::string separator = " ";
    std::string sort_keys;  // -O: fields, each optionally '+' (ascending) or '-' (descending)
    bool aligned = true;
    int headings = 1;  // 0 none, 1 headings, 2 field ids as headings
    bool field_prefixes = false;
    bool quoted = true;
    bool rows = false;  // --rows: one line per field
};

// _report_init's translation of the command line; `splitname` has its own default fields.
ReportConfig report_config(const Options& opts, bool splitname = false);

class Report {
public:
    // Fails on an unknown field: *error gets libdm's field list and "Unrecognised field: X".
    // A "help" field makes a report that prints the field list (into *help) and nothing else.
    static std::optional<Report> create(const ReportConfig& config, std::string* error,
                                        std::string* help);

    bool needs_deps() const;
    // A tree_ field (devs_used, device_ref_count, names_using_dev, devnos_using_dev) is shown:
    // dmsetup builds the whole dependency tree first (_report_init with DR_TREE).
    bool needs_tree() const;
    bool uses(std::string_view field_id) const;
    // False when a field's value cannot be had (a mangled_* field of a name libdm cannot
    // mangle): the row is left out and *err gets libdm's lines.
    bool add(const ReportObject& obj, std::string* err);
    bool empty() const { return rows_.empty(); }
    // Everything added since the last call, headings first the first time (none when empty).
    std::string output();

    // The list `-o help` and `dmsetup help -c` print (libdm's _display_fields).
    static std::string field_list();

private:
    struct Column {
        std::size_t field;  // index into the field table
        std::size_t width;
        bool hidden = false;  // a sort key that is not one of the fields shown
    };
    struct SortKey {
        std::size_t column;
        bool descending;
    };
    void sort_rows();
    explicit Report(ReportConfig config) : config_(std::move(config)) {}
    std::string format_value(const Column& c, const std::string& value) const;
    std::string heading(const Column& c) const;

    ReportConfig config_;
    std::vector<Column> columns_;
    std::vector<SortKey> sort_keys_;
    std::vector<std::vector<std::string>> rows_;
    bool headings_printed_ = false;
    bool help_only_ = false;
};

}  // namespace dmemu::dmsetup
