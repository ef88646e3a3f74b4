// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>

#include "tools/dmsetup/options.hpp"

namespace dmemu::dmsetup {

namespace {

enum class Kind { task, info, deps, tree, name };

struct FieldType {
    Kind kind;
    const char* desc;
    const char* prefix;
};

constexpr FieldType kTypes[] = {
    {Kind::task, "Mapped Device Name", "name_"},
    {Kind::info, "Mapped Device Information", "info_"},
    {Kind::deps, "Mapped Device Relationship Information", "deps_"},
    {Kind::tree, "Mapped Device Relationship Information", "tree_"},
    {Kind::name, "Mapped Device Name Components", "splitname_"},
};

std::string join_devts(const std::vector<emu::DevT>& devs) {
    std::string s;
    for (const auto& d : devs) s += (s.empty() ? "" : ",") + d.str();
    return s;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) s += (s.empty() ? "" : ",") + n;
    return s;
}

// A field's value that libdm cannot produce: its report function fails, and with it the
// object's whole row (_do_report_object). Thrown by a field's function, caught by Report::add:
// the field table's functions return plain strings, and only the mangled_* fields can fail.
struct FieldFailed {
    std::string err;  // libdm's lines
};

// dm_task_get_name_mangled / _uuid_mangled: mode none mangles as auto does.
std::string mangled(const std::string& s, std::string_view what, std::size_t buf_len,
                    Mangling mode) {
    std::string err;
    MangleResult m = mangle_string(s, what, buf_len, mode, &err);
    if (!m.ok)
        throw FieldFailed{err + fmt::format("Failed to mangle device {} \"{}\".\n",
                                            what == "name" ? "name" : "uuid", s)};
    return m.out;
}

// dm_task_get_name_unmangled / _uuid_unmangled: a reply was unmangled already unless the mode
// is none.
std::string unmangled(const std::string& s, std::string_view what, Mangling mode) {
    if (mode != Mangling::none) return s;
    std::string ignored;
    MangleResult m = unmangle_string(s, what, mode, &ignored);
    return m.ok ? m.out : s;
}

// _dm_tree_names: the names of the nodes in a node's list, nameless ones (disks, the root)
// left out.
std::string tree_names(const ReportObject& o, bool inverted) {
    std::string s;
    for (auto i : o.tree->children(o.tree_node, inverted)) {
        const std::string& name = o.tree->node(i).name;
        if (name.empty()) continue;
        s += (s.empty() ? "" : ",") + name;
    }
    return s;
}

// _dm_tree_parents_devs_disp: the root (0:0) left out.
std::string tree_parent_devnos(const ReportObject& o) {
    std::string s;
    for (auto i : o.tree->children(o.tree_node, true)) {
        const emu::DevT devt = o.tree->node(i).info.devt;
        if (devt.major == 0 && devt.minor == 0) continue;
        s += (s.empty() ? "" : ",") + devt.str();
    }
    return s;
}

struct Field {
    Kind kind;
    bool number;
    const char* heading;
    std::size_t width;
    const char* id;
    const char* desc;
    std::string (*value)(const ReportObject&);
};

// dmsetup's _report_fields[] for the fields dmemu can fill, in dmsetup's order.
const Field kFields[] = {
    {Kind::task, false, "Name", 16, "name", "Name of mapped device.",
     [](const ReportObject& o) { return o.info.name; }},
    {Kind::task, false, "MangledName", 16, "mangled_name", "Mangled name of mapped device.",
     [](const ReportObject& o) { return mangled(o.info.name, "name", kDmNameLen, o.mangling); }},
    {Kind::task, false, "UnmangledName", 16, "unmangled_name", "Unmangled name of mapped device.",
     [](const ReportObject& o) { return unmangled(o.info.name, "name", o.mangling); }},
    {Kind::task, false, "UUID", 32, "uuid", "Unique (optional) identifier for mapped device.",
     [](const ReportObject& o) { return o.info.uuid; }},
    {Kind::task, false, "MangledUUID", 32, "mangled_uuid",
     "Mangled unique (optional) identifier for mapped device.",
     [](const ReportObject& o) { return mangled(o.info.uuid, "UUID", kDmUuidLen, o.mangling); }},
    {Kind::task, false, "UnmangledUUID", 32, "unmangled_uuid",
     "Unmangled unique (optional) identifier for mapped device.",
     [](const ReportObject& o) { return unmangled(o.info.uuid, "UUID", o.mangling); }},
    {Kind::task, true, "RAhead", 6, "read_ahead", "Read ahead value.",
     [](const ReportObject& o) { return std::to_string(o.info.read_ahead.value_or(0)); }},
    {Kind::info, false, "BlkDevName", 16, "blkdevname", "Name of block device.",
     [](const ReportObject& o) { return fmt::format("dm-{}", o.info.devt.minor); }},
    {Kind::info, false, "Stat", 4, "attr",
     "(L)ive, (I)nactive, (s)uspended, (r)ead-only, read-(w)rite.",
     [](const ReportObject& o) {
         return std::string{o.info.live_table ? 'L' : '-', o.info.inactive_table ? 'I' : '-',
                            o.info.suspended ? 's' : '-', o.info.read_only ? 'r' : 'w'};
     }},
    {Kind::info, false, "Tables", 6, "tables_loaded",
     "Which of the live and inactive table slots are filled.",
     [](const ReportObject& o) -> std::string {
         if (o.info.live_table) return o.info.inactive_table ? "Both" : "Live";
         return o.info.inactive_table ? "Inactive" : "None";
     }},
    {Kind::info, false, "Suspended", 9, "suspended", "Whether the device is suspended.",
     [](const ReportObject& o) -> std::string {
         return o.info.suspended ? "Suspended" : "Active";
     }},
    {Kind::info, false, "Read-only", 9, "readonly", "Whether the device is read-only or writeable.",
     [](const ReportObject& o) -> std::string {
         return o.info.read_only ? "Read-only" : "Writeable";
     }},
    {Kind::info, false, "DevNo", 5, "devno", "Device major and minor numbers",
     [](const ReportObject& o) { return o.info.devt.str(); }},
    {Kind::info, true, "Maj", 3, "major", "Block device major number.",
     [](const ReportObject& o) { return std::to_string(o.info.devt.major); }},
    {Kind::info, true, "Min", 3, "minor", "Block device minor number.",
     [](const ReportObject& o) { return std::to_string(o.info.devt.minor); }},
    {Kind::info, true, "Open", 4, "open", "Number of references to open device, if requested.",
     [](const ReportObject& o) { return std::to_string(o.info.open_count); }},
    {Kind::info, true, "Targ", 4, "segments", "Number of segments in live table, if present.",
     [](const ReportObject& o) { return std::to_string(o.info.target_count); }},
    {Kind::info, true, "Event", 6, "events", "Number of most recent event.",
     [](const ReportObject& o) { return std::to_string(o.info.event_nr); }},
    {Kind::deps, true, "#Devs", 5, "device_count", "Number of devices used by this one.",
     [](const ReportObject& o) { return std::to_string(o.deps.size()); }},
    {Kind::tree, false, "DevNamesUsed", 16, "devs_used",
     "List of names of mapped devices used by this one.",
     [](const ReportObject& o) { return tree_names(o, false); }},
    {Kind::deps, false, "DevNosUsed", 16, "devnos_used",
     "List of device numbers of devices used by this one.",
     [](const ReportObject& o) { return join_devts(o.deps); }},
    {Kind::deps, false, "BlkDevNamesUsed", 16, "blkdevs_used",
     "List of names of block devices used by this one.",
     [](const ReportObject& o) { return join_names(o.dep_blk_names); }},
    {Kind::tree, true, "#Refs", 5, "device_ref_count",
     "Number of mapped devices referencing this one.",
     [](const ReportObject& o) { return std::to_string(o.tree->num_children(o.tree_node, true)); }},
    {Kind::tree, false, "RefNames", 8, "names_using_dev",
     "List of names of mapped devices using this one.",
     [](const ReportObject& o) { return tree_names(o, true); }},
    {Kind::tree, false, "RefDevNos", 9, "devnos_using_dev",
     "List of device numbers of mapped devices using this one.",
     [](const ReportObject& o) { return tree_parent_devnos(o); }},
    {Kind::name, false, "Subsys", 6, "subsystem",
     "Userspace subsystem responsible for this device.",
     [](const ReportObject& o) { return o.split.subsystem; }},
    {Kind::name, false, "VG", 4, "vg_name", "LVM Volume Group name.",
     [](const ReportObject& o) { return o.split.vg_name; }},
    {Kind::name, false, "LV", 4, "lv_name", "LVM Logical Volume name.",
     [](const ReportObject& o) { return o.split.lv_name; }},
    {Kind::name, false, "LVLayer", 7, "lv_layer", "LVM device layer.",
     [](const ReportObject& o) { return o.split.lv_layer; }},
};

std::string canonical(std::string_view id) {
    std::string s;
    for (char c : id)
        if (c != '_') s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return s;
}

std::optional<std::size_t> find_field(std::string_view word) {
    const std::string want = canonical(word);
    for (std::size_t i = 0; i < std::size(kFields); ++i)
        if (canonical(kFields[i].id) == want) return i;
    return std::nullopt;
}

// "all", or a type prefix followed by "all": the fields of every matching type.
std::optional<std::vector<std::size_t>> find_all(std::string_view word) {
    const std::string want = canonical(word);
    std::vector<std::size_t> out;
    for (const auto& t : kTypes) {
        if (want != "all" && want != canonical(std::string(t.prefix) + "all")) continue;
        for (std::size_t i = 0; i < std::size(kFields); ++i)
            if (kFields[i].kind == t.kind) out.push_back(i);
    }
    if (out.empty()) return std::nullopt;
    std::sort(out.begin(), out.end());
    return out;
}

std::string upper(std::string_view s) {
    std::string u(s);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
}

}  // namespace

ReportConfig report_config(const Options& opts, bool splitname) {
    ReportConfig c;
    if (splitname) c.fields = "vg_name,lv_name,lv_layer";
    if (opts.noheadings) {
        c.separator = ":";
        c.aligned = false;
        c.headings = 0;
    }
    if (opts.headings) c.headings = *opts.headings;
    if (opts.rows) c.rows = true;
    if (opts.unquoted) c.quoted = false;
    if (opts.nameprefixes) {
        c.aligned = false;
        c.field_prefixes = true;
    }
    if (opts.fields) {
        if (opts.fields->find("help") != std::string::npos) c.headings = 0;
        if (!opts.fields->empty() && opts.fields->front() == '+')
            c.fields += "," + opts.fields->substr(1);
        else
            c.fields = *opts.fields;
    }
    if (opts.sort) c.sort_keys = *opts.sort;
    if (opts.separator) {
        c.separator = *opts.separator;
        c.aligned = false;
    }
    if (c.rows) c.aligned = false;  // dm_report_init: columns as rows are never aligned
    return c;
}

std::optional<Report> Report::create(const ReportConfig& config, std::string* error,
                                     std::string* help) {
    Report r(config);
    std::string_view rest = config.fields;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const std::string_view word = rest.substr(0, comma);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        if (word.empty()) continue;
        if (canonical(word) == "help" || word == "?") {
            r.help_only_ = true;
            *help += field_list();
            continue;
        }
        if (auto f = find_field(word)) {
            r.columns_.push_back({*f, kFields[*f].width});
        } else if (auto all = find_all(word)) {
            for (auto i : *all) r.columns_.push_back({i, kFields[i].width});
        } else {
            *error += field_list() + " \n" + fmt::format("Unrecognised field: {}\n", word);
            return std::nullopt;
        }
    }
    // _parse_keys / _add_sort_key: a key not shown becomes a hidden column.
    rest = config.sort_keys;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view word = rest.substr(0, comma);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        if (word.empty()) continue;
        bool descending = false;
        if (word.front() == '+' || word.front() == '-') {
            descending = word.front() == '-';
            word.remove_prefix(1);
        }
        const auto f = find_field(word);
        if (!f) {
            *error +=
                field_list() + " \n" + fmt::format("dm_report: Unrecognised field: {}\n", word);
            return std::nullopt;
        }
        auto col = std::find_if(r.columns_.begin(), r.columns_.end(),
                                [&](const Column& c) { return c.field == *f; });
        if (col == r.columns_.end()) {
            r.columns_.push_back({*f, kFields[*f].width, true});
            col = r.columns_.end() - 1;
        }
        const auto index = static_cast<std::size_t>(col - r.columns_.begin());
        if (std::any_of(r.sort_keys_.begin(), r.sort_keys_.end(),
                        [&](const SortKey& k) { return k.column == index; })) {
            *error +=
                fmt::format("dm_report: Ignoring duplicate sort field: {}.\n", kFields[*f].id);
            continue;
        }
        r.sort_keys_.push_back({index, descending});
    }
    return r;
}

// _sort_rows with _row_compare: numbers by value, strings by strcmp, key by key.
void Report::sort_rows() {
    if (sort_keys_.empty()) return;
    std::stable_sort(rows_.begin(), rows_.end(), [&](const auto& a, const auto& b) {
        for (const SortKey& k : sort_keys_) {
            const std::string& x = a[k.column];
            const std::string& y = b[k.column];
            int cmp = 0;
            if (kFields[columns_[k.column].field].number) {
                const auto nx = std::strtoull(x.c_str(), nullptr, 10);
                const auto ny = std::strtoull(y.c_str(), nullptr, 10);
                cmp = nx == ny ? 0 : (nx < ny ? -1 : 1);
            } else {
                cmp = std::strcmp(x.c_str(), y.c_str());
            }
            if (cmp != 0) return k.descending ? cmp > 0 : cmp < 0;
        }
        return false;
    });
}

bool Report::needs_deps() const {
    return std::any_of(columns_.begin(), columns_.end(),
                       [](const Column& c) { return kFields[c.field].kind == Kind::deps; });
}

bool Report::needs_tree() const {
    return std::any_of(columns_.begin(), columns_.end(),
                       [](const Column& c) { return kFields[c.field].kind == Kind::tree; });
}

bool Report::uses(std::string_view field_id) const {
    return std::any_of(columns_.begin(), columns_.end(),
                       [&](const Column& c) { return field_id == kFields[c.field].id; });
}

bool Report::add(const ReportObject& obj, std::string* err) {
    if (help_only_) return true;
    std::vector<std::string> row;
    for (auto& c : columns_) {
        try {
            row.push_back(kFields[c.field].value(obj));
        } catch (const FieldFailed& f) {
            // The columns before keep the widths this row gave them, as libdm's do.
            *err += f.err + fmt::format("_do_report_object: report function failed for field {}\n",
                                        kFields[c.field].id);
            return false;
        }
        c.width = std::max(c.width, row.back().size());
    }
    rows_.push_back(std::move(row));
    return true;
}

std::string Report::heading(const Column& c) const {
    const Field& f = kFields[c.field];
    const std::string h = config_.headings == 2 ? f.id : f.heading;
    if (!config_.aligned) return h;
    return fmt::format("{:<{}.{}}", h, c.width, c.width);
}

std::string Report::format_value(const Column& c, const std::string& value) const {
    const Field& f = kFields[c.field];
    std::string s;
    if (config_.field_prefixes) s += "DM_" + upper(f.id) + "=" + (config_.quoted ? "'" : "");
    if (!config_.aligned)
        s += value;
    else if (f.number)
        s += fmt::format("{:>{}}", value, c.width);
    else
        s += fmt::format("{:<{}}", value, c.width);
    if (config_.field_prefixes && config_.quoted) s += "'";
    return s;
}

std::string Report::output() {
    std::string out;
    if (rows_.empty()) return out;
    sort_rows();
    if (config_.rows) {
        // _output_as_rows: one line per field, the heading first.
        for (std::size_t k = 0; k < columns_.size(); ++k) {
            if (columns_[k].hidden) continue;
            std::string line;
            if (config_.headings) line += heading(columns_[k]) + config_.separator;
            for (std::size_t r = 0; r < rows_.size(); ++r) {
                if (r) line += config_.separator;
                line += format_value(columns_[k], rows_[r][k]);
            }
            out += line + "\n";
        }
        rows_.clear();
        return out;
    }
    if (!headings_printed_) {
        headings_printed_ = true;
        if (config_.headings) {
            std::string line;
            bool first = true;
            for (const auto& c : columns_) {
                if (c.hidden) continue;
                line += (first ? "" : config_.separator) + heading(c);
                first = false;
            }
            out += line + "\n";
        }
    }
    for (const auto& row : rows_) {
        std::string line;
        bool first = true;
        for (std::size_t k = 0; k < columns_.size(); ++k) {
            if (columns_[k].hidden) continue;
            line += (first ? "" : config_.separator) + format_value(columns_[k], row[k]);
            first = false;
        }
        out += line + "\n";
    }
    rows_.clear();
    return out;
}

std::string Report::field_list() {
    std::size_t id_len = 8;  // the implicit "selected"
    for (const auto& f : kFields) id_len = std::max(id_len, std::string_view(f.id).size());
    for (const auto& t : kTypes) id_len = std::max(id_len, std::string_view(t.prefix).size() + 3);
    std::string out;
    const char* last = nullptr;
    for (const auto& f : kFields) {
        const FieldType* type = nullptr;
        for (const auto& t : kTypes)
            if (t.kind == f.kind) type = &t;
        // libdm compares the description pointers, which the compiler merges for dmsetup's
        // two "Relationship" types: their fields share one heading, the first type's prefix.
        if (!last || std::strcmp(type->desc, last) != 0) {
            if (last) out += " \n";
            const std::string title = fmt::format("{} Fields", type->desc);
            out += title + "\n" + std::string(title.size(), '-') + "\n";
            out += fmt::format("  {}all{:<{}} - All fields in this section.\n", type->prefix, "",
                               id_len - 3 - std::string_view(type->prefix).size());
            last = type->desc;
        }
        out += fmt::format("  {:<{}} - {}\n", f.id, id_len, f.desc);
    }
    out += " \nSpecial Fields\n--------------\n";
    out += fmt::format("  {:<{}} - {}\n", "selected", id_len,
                       "Set if item passes selection criteria.");
    out += fmt::format("  {:<{}} - {}\n", "help", id_len, "Show help.");
    out += fmt::format("  {:<{}} - {}\n", "?", id_len, "Show help.");
    return out;
}

}  // namespace dmemu::dmsetup
