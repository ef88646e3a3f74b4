// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/session.hpp"

#include <algorithm>
#include <cerrno>

#include "tools/dmsetup/errno_text.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmCommand;
using emu::DmReply;
using emu::DmRequest;

namespace {

constexpr std::size_t kUuidMax = kDmUuidLen - 1;
constexpr int kIoctlRetries = 25;  // DM_IOCTL_RETRIES
constexpr std::chrono::milliseconds kRetryDelay{200};

DmCommand command_of(Task t) {
    switch (t) {
        case Task::create:
            return DmCommand::dev_create;
        case Task::reload:
            return DmCommand::table_load;
        case Task::remove:
            return DmCommand::dev_remove;
        case Task::remove_all:
            return DmCommand::remove_all;
        case Task::suspend:
        case Task::resume:
            return DmCommand::dev_suspend;
        case Task::info:
            return DmCommand::dev_status;
        case Task::deps:
            return DmCommand::table_deps;
        case Task::rename:
            return DmCommand::dev_rename;
        case Task::version:
            return DmCommand::version;
        case Task::status:
        case Task::table:
            return DmCommand::table_status;
        case Task::names:
            return DmCommand::list_devices;
        case Task::clear:
            return DmCommand::table_clear;
        case Task::versions:
        case Task::target_version:
            return DmCommand::list_versions;
        case Task::message:
            return DmCommand::target_msg;
        case Task::wait:
            return DmCommand::dev_wait;
    }
    return DmCommand::version;
}

}  // namespace

std::string kernel_uuid(const std::string& uuid) {
    // libdm strncpy()s the uuid into dm_ioctl's 129-byte field and the kernel terminates it at
    // the last byte: a longer uuid arrives cut to 128 bytes.
    return uuid.substr(0, kUuidMax);
}

const char* task_name(Task t) {
    switch (t) {
        case Task::create:
            return "create";
        case Task::reload:
            return "reload";
        case Task::remove:
            return "remove";
        case Task::remove_all:
            return "remove_all";
        case Task::suspend:
            return "suspend";
        case Task::resume:
            return "resume";
        case Task::info:
            return "info";
        case Task::deps:
            return "deps";
        case Task::rename:
            return "rename";
        case Task::version:
            return "version";
        case Task::status:
            return "status";
        case Task::table:
            return "table";
        case Task::names:
            return "names";
        case Task::clear:
            return "clear";
        case Task::versions:
            return "versions";
        case Task::message:
            return "message";
        case Task::target_version:
            return "target-version";
        case Task::wait:
            return "waitevent";
    }
    return "?";
}

const std::string& Session::stdin_text() {
    if (!stdin_) stdin_ = read_stdin_ ? read_stdin_() : std::string();
    return *stdin_;
}

asio::awaitable<std::optional<DmReply>> Session::run(Task task, DmRequest req, bool retry_remove) {
    req.cmd = command_of(task);
    req.suspend = task == Task::suspend;
    req.status_table = task == Task::table;
    // _flatten: a reload or resume that knows the devno sends it alone (the name stays for
    // messages); the kernel refuses a request that names a device twice.
    DmRequest wire = req;
    if (wire.devt && (task == Task::reload || task == Task::resume)) wire.name.clear();
    for (int attempt = 1;; ++attempt) {
        DmReply reply = co_await channel_.call(wire);
        // A positive return is the ioctl's success with nothing copied back (a message to a
        // device with no live table): libdm checks only for a negative one.
        if (reply.error >= 0) {
            if (!unmangle_reply(task, reply)) co_return std::nullopt;
            if (task == Task::resume) add_dev_node(req.name);
            co_return reply;
        }
        if (reply.error == -ENXIO && (task == Task::info || task == Task::status)) {
            reply.info = emu::DmInfo{};
            co_return reply;
        }
        // _do_dm_ioctl: name, a space, uuid, then "(maj:min)" when the task named a devno.
        std::string devno;
        if (req.devt && req.devt->major > 0)
            devno = fmt::format("({}:{})", req.devt->major, req.devt->minor);
        errorf("device-mapper: {} ioctl on {} {}{} failed: {}", task_name(task), req.name, req.uuid,
               devno, errno_text(reply.error));
        if (retry_remove && task == Task::remove && reply.error == -EBUSY &&
            attempt < kIoctlRetries) {
            co_await channel_.retry_delay(kRetryDelay);
            continue;
        }
        co_return std::nullopt;
    }
}

// libdm-common.c _add_dev_node after a resume: the node goes to /dev/mapper/NAME, and a name the
// kernel accepts but that is a directory or the control node there cannot have one. libdm says
// so and the command still succeeds (t38). Other nodes are the front end's, always in place.
void Session::add_dev_node(const std::string& name) {
    if (name == "." || name == ".." || name == "control")
        errorf("A non-block device file at '/dev/mapper/{}' is already present", name);
}

// _dm_ioctl_unmangle_names and _dm_ioctl_unmangle_uuids after every successful ioctl: a
// name or uuid that cannot be unmangled fails the task with libdm's line alone.
bool Session::unmangle_reply(Task task, DmReply& reply) {
    bool ok = unmangle_reply_string(reply.info.name, "name", mangling, &err);
    for (auto& entry : reply.names) {
        ok = unmangle_reply_string(entry.name, "name", mangling, &err) && ok;
        ok = unmangle_reply_string(entry.uuid, "UUID", mangling, &err) && ok;
    }
    if (ok && task != Task::remove)
        ok = unmangle_reply_string(reply.info.uuid, "UUID", mangling, &err);
    return ok;
}

std::optional<std::string> Session::wire_uuid(const std::string& uuid) {
    if (!multiple_mangling_allowed(uuid, "UUID", mangling, &err)) return std::nullopt;
    if (mangling == Mangling::none) return kernel_uuid(uuid);
    MangleResult m = mangle_string(uuid, "UUID", kDmUuidLen, mangling, &err);
    if (!m.ok) {
        errorf("Failed to mangle device uuid \"{}\".", uuid);
        return std::nullopt;
    }
    return m.out;
}

std::optional<std::string> Session::wire_new_name(const std::string& name, bool is_uuid) {
    const char* what = is_uuid ? "new UUID" : "new name";
    if (is_uuid) {
        if (name.size() >= kDmUuidLen) {
            errorf("Uuid \"{}\" too long", name);
            return std::nullopt;
        }
    } else if (name.find('/') != std::string::npos) {
        errorf("Name \"{}\" invalid. It contains \"/\".", name);
        return std::nullopt;
    } else if (name.size() >= kDmNameLen) {
        errorf("Name \"{}\" too long", name);
        return std::nullopt;
    } else if (name.empty()) {
        error("Non empty new name is required.");
        return std::nullopt;
    }
    if (!multiple_mangling_allowed(name, what, mangling, &err)) return std::nullopt;
    if (mangling == Mangling::none) return name;
    MangleResult m = mangle_string(name, what, is_uuid ? kDmUuidLen : kDmNameLen, mangling, &err);
    if (!m.ok) {
        // libdm's two lines differ: no full stop after either.
        if (is_uuid)
            errorf("Failed to mangle new device UUID \"{}\"", name);
        else
            errorf("Failed to mangle new device name \"{}\"", name);
        return std::nullopt;
    }
    return m.out;
}

asio::awaitable<bool> Session::set_device(DmRequest& req, const std::string* name, Task task,
                                          bool optional) {
    if (name) co_return co_await set_name(req, *name, task);
    if (opts.uuid) {
        auto uuid = wire_uuid(*opts.uuid);
        if (!uuid) co_return false;
        req.uuid = std::move(*uuid);
    } else if (opts.major && opts.minor) {
        req.devt = emu::DevT{static_cast<std::uint32_t>(*opts.major),
                             static_cast<std::uint32_t>(*opts.minor)};
    } else if (!optional) {
        error("No device specified.");
        co_return false;
    }
    co_return true;
}

asio::awaitable<bool> Session::set_name(DmRequest& req, const std::string& name, Task task) {
    const auto slash = name.rfind('/');
    if (slash == std::string::npos) {
        // _dm_task_set_name: the length first, then the mangling into DM_NAME_LEN bytes.
        if (name.size() >= kDmNameLen) {
            errorf("Name \"{}\" too long.", name);
            co_return false;
        }
        if (!multiple_mangling_allowed(name, "name", mangling, &err)) co_return false;
        req.name = name;
        if (mangling != Mangling::none) {
            MangleResult m = mangle_string(name, "name", kDmNameLen, mangling, &err);
            if (!m.ok) {
                errorf("Failed to mangle device name \"{}\".", name);
                co_return false;
            }
            req.name = std::move(m.out);
        }
        co_return true;
    }
    // _dm_task_set_name_from_path: a path must name an existing device node. Nodes live in
    // /dev/mapper (one per device with a live table, as libdm makes them without udev) and
    // /dev/dm-N.
    if (task == Task::create) {
        errorf("Name \"{}\" invalid. It contains \"/\".", name);
        co_return false;
    }
    std::string path = name;
    if (path.size() >= 3 && path[0] != '/' && std::count(path.begin(), path.end(), '/') == 1)
        path = "/dev/" + path;
    DmRequest list;
    auto names = co_await run(Task::names, list);
    if (!names) co_return false;
    for (const auto& entry : names->names) {
        const bool match = path == "/dev/mapper/" + entry.name ||
                           path == fmt::format("/dev/dm-{}", entry.devt.minor);
        if (!match) continue;
        DmRequest q;
        q.name = entry.name;
        if (mangling != Mangling::none) {
            std::string ignored;
            MangleResult m = mangle_string(entry.name, "name", kDmNameLen, mangling, &ignored);
            if (m.ok) q.name = std::move(m.out);
        }
        auto info = co_await run(Task::info, q);
        if (info && info->info.exists && info->info.live_table) {
            // libdm takes the node's name, the kernel's (mangled) one, and sends it as it is.
            req.name = q.name;
            co_return true;
        }
    }
    errorf("Device {} not found", name);
    co_return false;
}

asio::awaitable<std::optional<std::string>> Session::device_name(emu::DevT devt, bool kernel_name) {
    DmRequest list;
    list.cmd = DmCommand::list_devices;
    const DmReply names = co_await channel_.call(list);
    for (const auto& e : names.names)
        if (e.devt == devt) co_return kernel_name ? fmt::format("dm-{}", devt.minor) : e.name;
    DmRequest disks;
    disks.cmd = DmCommand::disk_list;
    const DmReply reply = co_await channel_.call(disks);
    for (const auto& d : reply.disks)
        if (d.devt == devt) co_return d.name;
    co_return std::nullopt;
}

}  // namespace dmemu::dmsetup
