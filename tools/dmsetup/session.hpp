// SPDX-License-Identifier: GPL-2.0-only
// One dmsetup invocation: the channel, the parsed switches, the output being built, and libdm's
// task plumbing every command shares (dm_task_run with its error line, _set_task_device, name
// lookups). Everything runs on the caller's executor; nothing here is shared between
// invocations.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tools/dmsetup/dep_tree.hpp"
#include "tools/dmsetup/ioctl_channel.hpp"
#include "tools/dmsetup/options.hpp"
#include "tools/dmsetup/report.hpp"
#include "tools/dmsetup/tree_display.hpp"

namespace dmemu::dmsetup {

using StdinSource = std::function<std::string()>;

// libdm's task types (libdm-iface.c _cmd_data_v4): each is one ioctl, named in error lines.
enum class Task {
    create,
    reload,
    remove,
    remove_all,
    suspend,
    resume,
    info,
    deps,
    rename,
    version,
    status,
    table,
    names,
    clear,
    versions,
    message,
    target_version,
    wait,  // DM_DEVICE_WAITEVENT
};
const char* task_name(Task t);

// A uuid as the kernel receives it from libdm (cut to 128 bytes).
std::string kernel_uuid(const std::string& uuid);

// How `ls` and `deps` name devices (-o devno|blkdevname|devname): dmsetup's dev_name_t.
enum class DevNameType { devno, blk, map };

class Session {
public:
    Session(IoctlChannel& channel, StdinSource read_stdin)
        : channel_(channel), read_stdin_(std::move(read_stdin)) {}

    Options opts;
    std::string out;
    std::string err;
    std::optional<Report> report;
    DevNameType dev_name_type = DevNameType::devno;
    // libdm's name mangling mode (dm_set_name_mangling_mode): --manglename, else auto; `mangle`
    // runs its tasks in mode none.
    Mangling mangling = Mangling::automatic;
    // The terminal stdout is ("ls --tree" draws and cuts lines for it).
    Terminal terminal;
    // --tree: -o parsed as tree options (_process_tree_options) instead of device name options.
    std::optional<TreeOptions> tree_options;
    // _dtree: built once per invocation, by the report (tree_ fields) or by `ls --tree`.
    std::optional<DepTree> dep_tree;

    void error(std::string_view line) {
        err += line;
        err += '\n';
    }
    template <typename... Args>
    void errorf(fmt::format_string<Args...> f, Args&&... args) {
        error(fmt::format(f, std::forward<Args>(args)...));
    }
    IoctlChannel& channel() { return channel_; }
    // Standard input, read once, when a command first needs it.
    const std::string& stdin_text();

    // dm_task_run: the ioctl; on failure libdm's "device-mapper: <task> ioctl on <name> <uuid>
    // [(maj:min)] failed: <strerror>" and nullopt. ENXIO from info and status is no failure:
    // the reply says the device does not exist. retry_remove: libdm retries a busy remove up
    // to 25 times, 200 ms apart, each failure logged.
    boost::asio::awaitable<std::optional<emu::DmReply>> run(Task task, emu::DmRequest req,
                                                            bool retry_remove = false);
    // _set_task_device: the device by name (a /dev/mapper/NAME path is resolved as libdm does),
    // else by -u, else by -j/-m; "No device specified." when none and not optional.
    boost::asio::awaitable<bool> set_device(emu::DmRequest& req, const std::string* name, Task task,
                                            bool optional = false);
    // dm_task_set_uuid: the uuid as the ioctl carries it (mangled, cut to 128 bytes), or nullopt
    // after libdm's error lines.
    std::optional<std::string> wire_uuid(const std::string& uuid);
    // dm_task_set_newname / dm_task_set_newuuid (with --setuuid): the checks and the mangling of
    // rename's target, or nullopt after libdm's error lines.
    std::optional<std::string> wire_new_name(const std::string& name, bool is_uuid);
    // dm_device_get_name: the kernel name of a device ("dm-3", "ram0"), or with
    // kernel_name=false a mapped device's own name.
    boost::asio::awaitable<std::optional<std::string>> device_name(emu::DevT devt,
                                                                   bool kernel_name);

private:
    bool unmangle_reply(Task task, emu::DmReply& reply);
    void add_dev_node(const std::string& name);
    boost::asio::awaitable<bool> set_name(emu::DmRequest& req, const std::string& name, Task task);

    IoctlChannel& channel_;
    StdinSource read_stdin_;
    std::optional<std::string> stdin_;
};

}  // namespace dmemu::dmsetup
