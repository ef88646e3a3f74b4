// SPDX-License-Identifier: GPL-2.0-only
// create and load/reload (dmsetup.c _create, _create_one_device, _load), and libdm's
// create-with-table sequence (libdm-iface.c _create_and_load_v4): DM_DEV_CREATE, DM_TABLE_LOAD
// naming the new device's number, DM_DEV_SUSPEND to resume; if the load or the resume fails the
// device is removed again.
#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/info_display.hpp"
#include "tools/dmsetup/table_input.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmRequest;

namespace {

asio::awaitable<std::optional<emu::DmReply>> create_and_load(Session& s, const DmRequest& create,
                                                             std::vector<emu::TargetSpec> targets) {
    auto created = co_await s.run(Task::create, create);
    if (!created) co_return std::nullopt;
    DmRequest load;
    load.name = create.name;
    load.devt = created->info.devt;
    load.read_only = s.opts.readonly > 0;
    load.targets = std::move(targets);
    if (co_await s.run(Task::reload, load)) {
        DmRequest resume;
        resume.name = create.name;
        if (auto resumed = co_await s.run(Task::resume, resume)) co_return resumed;
    }
    DmRequest revert;
    revert.name = create.name;
    if (!co_await s.run(Task::remove, revert)) s.error("Failed to revert device creation.");
    co_return std::nullopt;
}

}  // namespace

asio::awaitable<bool> cmd_create(Session& s, CommandCall call) {
    if (call.argv.empty()) {
        s.error("Please provide a name for the new device.");
        co_return false;
    }
    const std::string name = call.argv[0];
    const std::string* file = call.argv.size() == 2 ? &call.argv[1] : nullptr;
    DmRequest create;
    if (!co_await s.set_device(create, &name, Task::create)) co_return false;
    if (s.opts.uuid) {
        auto uuid = s.wire_uuid(*s.opts.uuid);
        if (!uuid) co_return false;
        create.uuid = std::move(*uuid);
    }
    std::vector<emu::TargetSpec> targets;
    if (!s.opts.notable) {
        auto parsed = read_table(s, file);
        if (!parsed) co_return false;
        targets = std::move(*parsed);
    }
    // A create with no target is a bare DM_DEV_CREATE: a device without a table.
    std::optional<emu::DmReply> reply;
    if (targets.empty())
        reply = co_await s.run(Task::create, create);
    else
        reply = co_await create_and_load(s, create, std::move(targets));
    if (!reply) co_return false;
    if (s.opts.verbose) co_return co_await display_info(s, *reply);
    co_return true;
}

asio::awaitable<bool> cmd_load(Session& s, CommandCall call) {
    if (s.opts.notable) {
        s.error("--notable only available when creating new device.");
        co_return false;
    }
    std::vector<std::string>& argv = call.argv;
    std::optional<std::string> name;
    if (!s.opts.uuid && !s.opts.major) {
        if (argv.empty()) {
            s.error("Please specify device.");
            co_return false;
        }
        name = argv.front();
        argv.erase(argv.begin());
    } else if (argv.size() > 1) {
        s.error("Too many command line arguments.");
        co_return false;
    }
    const std::string* file = argv.size() == 1 ? &argv[0] : nullptr;
    DmRequest load;
    if (!co_await s.set_device(load, name ? &*name : nullptr, Task::reload)) co_return false;
    auto targets = read_table(s, file);
    if (!targets) co_return false;
    load.targets = std::move(*targets);
    load.read_only = s.opts.readonly > 0;
    load.inactive = s.opts.inactive > 0;
    auto reply = co_await s.run(Task::reload, load);
    if (!reply) co_return false;
    if (s.opts.verbose) co_return co_await display_info(s, *reply);
    co_return true;
}

}  // namespace dmemu::dmsetup
