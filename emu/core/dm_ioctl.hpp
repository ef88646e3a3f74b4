// SPDX-License-Identifier: GPL-2.0-only
// The control interface at the level of the kernel's dm-ioctl (include/uapi/linux/dm-ioctl.h):
// one request, one reply, errno in the reply. dmsetup's behaviour (create = DEV_CREATE +
// TABLE_LOAD + DEV_SUSPEND(resume), removing the device again if the load fails; --force; retry)
// is built on top of this by the dmsetup layer, as libdm builds it on the ioctls.
//
// The same structs travel over the daemon's control socket as JSON (dm_ioctl_json.hpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "emu/core/table_spec.hpp"
#include "emu/core/target.hpp"
#include "emu/io/block_device.hpp"

namespace dmemu::emu {

enum class DmCommand {
    version,             // DM_VERSION: driver version
    remove_all,          // DM_REMOVE_ALL
    list_devices,        // DM_LIST_DEVICES
    dev_create,          // DM_DEV_CREATE
    dev_remove,          // DM_DEV_REMOVE
    dev_rename,          // DM_DEV_RENAME (new_name, or new uuid with set_uuid)
    dev_suspend,         // DM_DEV_SUSPEND: suspend when `suspend`, otherwise resume
    dev_status,          // DM_DEV_STATUS: info
    table_load,          // DM_TABLE_LOAD
    table_clear,         // DM_TABLE_CLEAR
    table_deps,          // DM_TABLE_DEPS
    table_status,        // DM_TABLE_STATUS (status_table: TABLE text, else INFO)
    list_versions,       // DM_LIST_VERSIONS: registered targets
    target_msg,          // DM_TARGET_MSG
    dev_wait,            // DM_DEV_WAIT: waits until the device's event_nr differs from `event_nr`
    dev_set_geometry,    // DM_DEV_SET_GEOMETRY: "cylinders heads sectors start" in `message`
    dev_arm_poll,        // DM_DEV_ARM_POLL: the reply's global_event_nr, for the caller's file
    get_target_version,  // DM_GET_TARGET_VERSION: the target type named `name`
    // dmemu's own, not the kernel's:
    disk_add,  // a RAM (size) or file disk, with an optional fixed devno
    disk_list,
    disk_remove,
    dmesg,         // kernel log lines after `after_seq`
    fault_add,     // a block fault on disk `name`: spec in `message` (emu/faults, docs/faults.md)
    fault_list,    // the faults of disk `name`, or of every disk when `name` is empty
    fault_remove,  // fault `fault_id` of disk `name`
    fault_clear,   // every fault of disk `name`, or of every disk when `name` is empty
};

const char* to_string(DmCommand c);
std::optional<DmCommand> dm_command_from_string(std::string_view s);

struct DmRequest {
    DmCommand cmd = DmCommand::version;
    // Which device, as the kernel's __find_device_hash_cell: by uuid, else by name, else by
    // devno; a uuid with a name or a devno, or a name with a devno, finds nothing (ENXIO).
    // list_devices: name and uuid are prefixes that filter the list.
    std::string name;
    std::string uuid;
    std::optional<DevT> devt;
    // dev_create: `uuid` is the new device's uuid (may be empty); a devt asks for its minor
    // (DM_PERSISTENT_DEV_FLAG).
    // dev_rename:
    std::string new_name;
    bool set_uuid = false;  // new_name carries the new uuid (--setuuid)
    // Flags (DM_*_FLAG):
    bool read_only = false;     // table_load: DM_READONLY_FLAG
    bool suspend = false;       // dev_suspend: DM_SUSPEND_FLAG
    bool inactive = false;      // DM_QUERY_INACTIVE_TABLE_FLAG
    bool status_table = false;  // table_status: DM_STATUS_TABLE_FLAG
    bool noflush = false;       // DM_NOFLUSH_FLAG
    bool nolockfs = false;      // DM_SKIP_LOCKFS_FLAG
    // table_load:
    std::vector<TargetSpec> targets;
    // target_msg:
    Sector sector = 0;
    std::string message;
    // disk_add: one of size_sectors (RAM disk) or file (sectors = file size, or extended to
    // size_sectors when both are given).
    Sector size_sectors = 0;
    std::string file;
    // dev_wait: the event number the caller has seen.
    std::uint32_t event_nr = 0;
    // The binary ioctl's payload could not be read (no NUL in the params, an offset out of
    // range): the kernel notices only after it found the device, so the handler fails with this
    // negative errno after its lookup, logging `payload_error_text` (a DMERR of dm-ioctl.c).
    int payload_error = 0;
    std::string payload_error_text;
    // dmesg:
    std::uint64_t after_seq = 0;
    // fault_remove:
    std::uint64_t fault_id = 0;
};

// struct dm_ioctl's device fields, as DM_DEV_STATUS fills them.
struct DmInfo {
    bool exists = false;
    std::string name;
    std::string uuid;
    DevT devt;
    bool suspended = false;
    bool live_table = false;
    bool inactive_table = false;
    bool read_only = false;
    std::uint32_t open_count = 0;
    std::uint32_t event_nr = 0;
    std::uint32_t target_count = 0;
    // The inactive table's, for DM_QUERY_INACTIVE_TABLE_FLAG replies.
    std::uint32_t inactive_target_count = 0;
    bool inactive_read_only = false;
    // BLKRAGET on the device node, in sectors; absent when the node does not exist (no live table).
    std::optional<std::uint32_t> read_ahead;
};

struct DmTargetLine {
    Sector start = 0;
    Sector length = 0;
    std::string type;
    std::string params;
};

struct DmNameEntry {
    std::string name;
    std::string uuid;
    DevT devt;
    std::uint32_t event_nr = 0;
};

struct DmVersionEntry {
    std::string name;
    TargetVersion version;
};

struct DmDiskEntry {
    std::string name;
    DevT devt;
    Sector sectors = 0;
    std::string file;  // empty for RAM disks
    std::uint32_t open_count = 0;
};

struct DmFaultEntry {
    std::string disk;
    std::uint64_t id = 0;
    std::string kind;
    std::string spec;  // as given
    std::uint64_t fired = 0;
};

struct DmKernelLine {
    std::uint64_t seq = 0;
    std::string text;
};

struct DmReply {
    // 0 or a negative errno, as the ioctl returns it; positive where the kernel's ioctl returns a
    // positive value without copying anything back (DM_TARGET_MSG to a device with no live table
    // returns 2).
    int error = 0;
    DmInfo info;  // the device's state after the operation (when the request named a device)
    std::vector<DmTargetLine> targets;  // table_status
    std::vector<DevT> deps;             // table_deps, newest first
    std::vector<DmNameEntry> names;     // list_devices, sorted by name
    std::vector<DmVersionEntry> versions;
    std::string driver_version;         // version: "4.47.0"
    std::string message_output;         // target_msg (DM_DATA_OUT)
    bool data_out = false;              // target_msg: the target answered (its message returned 1)
    std::uint32_t global_event_nr = 0;  // dev_arm_poll
    std::vector<DmDiskEntry> disks;
    std::vector<DmKernelLine> kernel_lines;
    std::vector<DmFaultEntry> faults;  // fault_list; fault_add: the fault installed
    std::string detail;                // our own errors (disk_add on a bad path): what went wrong
};

}  // namespace dmemu::emu
