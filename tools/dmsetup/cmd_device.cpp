// SPDX-License-Identifier: GPL-2.0-only
// Commands that change one device: suspend, resume, clear, remove (--force, --retry),
// remove_all, wipe_table, rename (--setuuid) and message (dmsetup.c _simple, _error_device,
// _remove, _remove_all, _rename, _message).
#include <cerrno>
#include <cstdlib>

#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/info_display.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmRequest;

namespace {

// Requests naming no device. Named, not a temporary: GCC 12 mis-copies prvalue arguments of
// coroutines with non-trivial parameters (free() of the caller's SSO buffer).
const DmRequest kNoDevice;

const std::string* first_arg(const CommandCall& call) {
    return call.argv.empty() ? nullptr : &call.argv[0];
}

// _simple: one task on one device, with the flags the command line gives (`event_nr` for a
// wait).
asio::awaitable<bool> simple(Session& s, Task task, const std::string* name, bool display,
                             std::uint32_t event_nr = 0) {
    DmRequest req;
    if (!co_await s.set_device(req, name, task)) co_return false;
    req.event_nr = event_nr;
    req.noflush = s.opts.noflush > 0;
    req.nolockfs = s.opts.nolockfs > 0;
    req.inactive = s.opts.inactive > 0;
    auto reply = co_await s.run(task, req, task == Task::remove && s.opts.retry > 0);
    if (!reply) co_return false;
    if (display && s.opts.verbose) co_return co_await display_info(s, *reply);
    co_return true;
}

// _get_device_size: the sum of the live table's target lengths (0 when it cannot be read).
asio::awaitable<emu::Sector> device_size(Session& s, const std::string& name) {
    DmRequest req;
    if (!co_await s.set_device(req, &name, Task::table)) co_return 0;
    req.inactive = s.opts.inactive > 0;
    req.noflush = s.opts.noflush > 0;
    auto reply = co_await s.run(Task::table, req);
    if (!reply || !reply->info.exists) co_return 0;
    emu::Sector size = 0;
    for (const auto& t : reply->targets) size += t.length;
    co_return size;
}

// _error_device: replace the table with one `error` target of the same size and resume.
asio::awaitable<bool> error_device(Session& s, const std::string* name) {
    if (!name || name->empty()) {
        s.error("No device specified.");
        co_return false;
    }
    const emu::Sector size = co_await device_size(s, *name);
    DmRequest load;
    if (!co_await s.set_device(load, name, Task::reload)) co_return false;
    load.targets.push_back(emu::TargetSpec{0, size, "error", ""});
    load.read_only = s.opts.readonly > 0;
    load.inactive = s.opts.inactive > 0;
    if (!co_await s.run(Task::reload, load)) co_return false;
    // Avoid hanging on a flush with --force.
    if (s.opts.force) s.opts.nolockfs = s.opts.noflush = 1;
    if (!co_await simple(s, Task::resume, name, false)) {
        co_await simple(s, Task::clear, name, false);
        co_return false;
    }
    co_return true;
}

asio::awaitable<std::size_t> count_devices(Session& s) {
    auto names = co_await s.run(Task::names, kNoDevice);
    co_return names ? names->names.size() : 0;
}

asio::awaitable<bool> error_one(Session& s, CommandCall call) {
    co_return co_await error_device(s, call.names ? &call.names->name : first_arg(call));
}

}  // namespace

asio::awaitable<bool> cmd_suspend(Session& s, CommandCall call) {
    co_return co_await simple(s, Task::suspend, first_arg(call), true);
}

asio::awaitable<bool> cmd_resume(Session& s, CommandCall call) {
    co_return co_await simple(s, Task::resume, first_arg(call), true);
}

// _wait: DM_DEVICE_WAITEVENT until the device's event number is no longer EVENT_NR (default 0),
// as _simple runs it (with -v the device's info after).
asio::awaitable<bool> cmd_wait(Session& s, CommandCall call) {
    const std::string* name = nullptr;
    std::size_t next = 0;
    if (!s.opts.uuid && !s.opts.major) {
        if (call.argv.empty()) {
            s.error("No device specified.");
            co_return false;
        }
        name = &call.argv[next++];
    }
    // (uint32_t) atoi(argv[argc - 1]): the last argument, its leading number or 0.
    const auto event_nr = next < call.argv.size()
                              ? static_cast<std::uint32_t>(std::atoi(call.argv.back().c_str()))
                              : 0u;
    co_return co_await simple(s, Task::wait, name, true, event_nr);
}

asio::awaitable<bool> cmd_clear(Session& s, CommandCall call) {
    co_return co_await simple(s, Task::clear, first_arg(call), true);
}

asio::awaitable<bool> cmd_wipe_table(Session& s, CommandCall call) {
    co_return co_await error_one(s, std::move(call));
}

asio::awaitable<bool> cmd_remove(Session& s, CommandCall call) {
    if (s.opts.force && !call.argv.empty()) co_await error_device(s, first_arg(call));
    co_return co_await simple(s, Task::remove, first_arg(call), false);
}

asio::awaitable<bool> cmd_remove_all(Session& s, CommandCall call) {
    const std::string all;
    // dmsetup ORs in dm_mknodes(), so remove_all itself never fails.
    co_await simple(s, Task::remove_all, &all, false);
    if (!s.opts.force) co_return true;
    if (co_await count_devices(s) == 0) co_return true;
    co_await process_all(s, call, true, error_one);
    co_await simple(s, Task::remove_all, &all, false);
    if (const std::size_t left = co_await count_devices(s); left > 0)
        s.errorf("Unable to remove {} device(s).", left);
    co_return true;
}

asio::awaitable<bool> cmd_rename(Session& s, CommandCall call) {
    const std::string* name = call.argv.size() == 2 ? &call.argv[0] : nullptr;
    const std::string& target = call.argv.back();
    DmRequest req;
    if (!co_await s.set_device(req, name, Task::rename)) co_return false;
    auto new_name = s.wire_new_name(target, s.opts.setuuid > 0);
    if (!new_name) co_return false;
    req.set_uuid = s.opts.setuuid > 0;
    req.new_name = std::move(*new_name);
    co_return (co_await s.run(Task::rename, req)).has_value();
}

asio::awaitable<bool> cmd_message(Session& s, CommandCall call) {
    std::vector<std::string>& argv = call.argv;
    DmRequest req;
    if (s.opts.uuid || s.opts.major) {
        if (!co_await s.set_device(req, nullptr, Task::message)) co_return false;
    } else {
        if (!co_await s.set_device(req, &argv[0], Task::message)) co_return false;
        argv.erase(argv.begin());
    }
    if (argv.empty()) {
        s.error("Invalid sector.");
        co_return false;
    }
    // strtoull(argv[0], &end, 10) as dmsetup does: white space and a sign are accepted.
    errno = 0;
    char* end = nullptr;
    const unsigned long long sector = std::strtoull(argv[0].c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || end == argv[0].c_str()) {
        s.error("Invalid sector.");
        co_return false;
    }
    argv.erase(argv.begin());
    if (argv.empty()) s.error("No message supplied.");
    std::string message;
    for (const auto& word : argv) message += (message.empty() ? "" : " ") + word;
    req.sector = sector;
    req.message = message;
    auto reply = co_await s.run(Task::message, req);
    if (!reply) co_return false;
    if (const std::string& response = reply->message_output; !response.empty()) {
        s.out += response;
        if (response.back() != '\n') s.out += '\n';
    }
    co_return true;
}

}  // namespace dmemu::dmsetup
