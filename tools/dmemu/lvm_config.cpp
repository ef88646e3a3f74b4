// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/lvm_config.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace dmemu::exec {

namespace fs = std::filesystem;

namespace {

// DIR as a piece of an LVM filter regex (lib/filters/filter-regex.c, between '|' delimiters):
// each metacharacter in a bracket of its own. Empty when DIR has a character that cannot be
// written so inside a config string ('|' ends the regex, '"' and '\' the string, ']' and '^'
// change a bracket's meaning, a newline ends the line).
std::string regex_of(const std::string& dir) {
    std::string out;
    for (char c : dir) {
        if (c == '|' || c == '"' || c == '\\' || c == ']' || c == '^' || c == '\n') return {};
        if (std::string_view(".[()*+?{}$").find(c) != std::string_view::npos)
            out += fmt::format("[{}]", c);
        else
            out += c;
    }
    return out;
}

}  // namespace

std::string lvm_config_text(const std::string& dir) {
    const std::string re = regex_of(dir);
    // Every node LVM finds under devices/scan is one of DIR's (disks, dm devices and their
    // aliases); the filter keeps the ones a PV can be, as LVM2's test suite does with its
    // own PV nodes, and rejects the VG/LV links LVM itself makes there.
    const std::string filter =
        re.empty()
            ? "[ \"a|.*|\" ]  # DIR's name cannot be written in a regex: all of DIR/dev"
            : fmt::format("[ \"a|^{0}/dev/mapper/.+|\", \"a|^{0}/dev/[^/]+$|\", \"r|.*|\" ]", re);
    return fmt::format(
        R"(# Written by `dmemu exec` for the LVM2 tools run against the dmemu daemon serving
# {0} (docs/real-tools.md, "LVM2"). LVM_SYSTEM_DIR={0}/etc/lvm selects it.
# Edits are kept: dmemu never overwrites this file. Delete it to get a fresh one.
devices {{
    dir = "{0}/dev"
    scan = [ "{0}/dev" ]
    global_filter = {1}
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    use_devicesfile = 0
    hints = "none"
    sysfs_scan = 0
    scan_lvs = 0
    md_component_detection = 0
    multipath_component_detection = 0
    fw_raid_component_detection = 0
    data_alignment_detection = 0
    data_alignment_offset_detection = 0
    write_cache_state = 0
    cache_dir = "{0}/etc/lvm/cache"
    # Disks given a major /proc/devices has no kernel name for
    types = [ "dmemu-disk", 16 ]
}}
global {{
    proc = "{0}/proc"
    locking_dir = "{0}/run/lock/lvm"
    use_lvmpolld = 0
    use_lvmlockd = 0
    notify_dbus = 0
    use_aio = 0
    event_activation = 0
}}
activation {{
    udev_sync = 0
    udev_rules = 0
    verify_udev_operations = 1
    monitoring = 0
    process_priority = 0
    polling_interval = 1
}}
allocation {{
    use_blkid_wiping = 0
}}
backup {{
    backup = 1
    backup_dir = "{0}/etc/lvm/backup"
    archive = 1
    archive_dir = "{0}/etc/lvm/archive"
}}
log {{
    syslog = 0
}}
)",
        dir, filter);
}

std::string ensure_lvm_config(const std::string& dir) {
    const fs::path etc = fs::path(dir) / "etc/lvm";
    const fs::path conf = etc / "lvm.conf";
    std::error_code ec;
    for (const fs::path& d :
         {etc / "cache", etc / "backup", etc / "archive", fs::path(dir) / "run/lock/lvm"}) {
        fs::create_directories(d, ec);
        if (ec) return fmt::format("cannot create {}: {}", d.string(), ec.message());
    }
    if (fs::exists(conf, ec)) return {};
    const fs::path tmp = etc / fmt::format(".lvm.conf.{}", ::getpid());
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << lvm_config_text(dir);
        out.close();
        if (!out) return fmt::format("cannot write {}", tmp.string());
    }
    // link(2), not rename: a config another exec wrote meanwhile is kept.
    const bool linked = ::link(tmp.c_str(), conf.c_str()) == 0 || errno == EEXIST;
    const int err = errno;
    fs::remove(tmp, ec);
    if (!linked) return fmt::format("cannot write {}: {}", conf.string(), std::strerror(err));
    return {};
}

}  // namespace dmemu::exec
