// SPDX-License-Identifier: GPL-2.0-only
// The commands about names themselves: splitname (dmsetup.c _splitname: a report row for a name
// that need not exist) and mangle (dmsetup.c _mangle: rename each device whose kernel name is
// not in the --manglename form, default auto; the tasks themselves run in mode none, as
// dmsetup's main() sets for this command).
//
//   mangle output (stdout): "NAME: UUID|[no UUID]: name [and UUID ]already in correct form"
//                           "NAME: renaming to NEW"
#include "tools/dmsetup/commands.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmRequest;

asio::awaitable<bool> cmd_splitname(Session& s, CommandCall call) {
    ReportObject obj;
    obj.split = split_name(call.argv.size() == 2 ? call.argv[1] : "LVM", call.argv[0], '\0');
    obj.split_only = true;
    obj.mangling = s.mangling;
    co_return s.report->add(obj, &s.err);
}

asio::awaitable<bool> cmd_mangle(Session& s, CommandCall call) {
    if (!call.names && call.argv.empty() && !s.opts.uuid && !s.opts.major)
        co_return co_await process_all(s, std::move(call), false, cmd_mangle);
    const std::string name = call.names ? call.names->name : call.argv[0];
    DmRequest req;
    if (!co_await s.set_device(req, &name, Task::info)) co_return false;
    auto reply = co_await s.run(Task::info, req);
    if (!reply || !reply->info.exists) co_return false;
    const std::string& kernel_name = reply->info.name;
    const std::string& uuid = reply->info.uuid;
    const Mangling target = s.opts.manglename.value_or(Mangling::automatic);
    if (target == Mangling::automatic) {
        if (name.find("\\x5cx") != std::string::npos) {
            s.errorf(
                "The name \"{}\" seems to be mangled more than once. Manual intervention "
                "required to rename the device.",
                name);
            co_return false;
        }
        if (uuid.find("\\x5cx") != std::string::npos) {
            s.errorf(
                "The UUID \"{}\" seems to be mangled more than once. Manual intervention "
                "required to correct the device UUID.",
                uuid);
            co_return false;
        }
    }
    // dm_task_get_{name,uuid}_{un,}mangled in the library's mode (none): mangling is auto's
    // whatever --manglename says, unmangling is not strict.
    const auto convert = [&](const std::string& str, const char* what, std::size_t buf_len,
                             const char* failure) -> std::optional<std::string> {
        MangleResult m = target == Mangling::none
                             ? unmangle_string(str, what, Mangling::none, &s.err)
                             : mangle_string(str, what, buf_len, Mangling::none, &s.err);
        if (!m.ok) {
            s.errorf("{} \"{}\".", failure, str);
            return std::nullopt;
        }
        return m.out;
    };
    const bool un = target == Mangling::none;
    const auto new_name =
        convert(kernel_name, "name", kDmNameLen,
                un ? "Failed to unmangle device name" : "Failed to mangle device name");
    if (!new_name) co_return false;
    const auto new_uuid =
        convert(uuid, "UUID", kDmUuidLen,
                un ? "Failed to unmangle device uuid" : "Failed to mangle device uuid");
    if (!new_uuid) co_return false;
    if (uuid != *new_uuid) {
        s.errorf("{}: {}: UUID in incorrect form. ", name, uuid);
        s.error("Unable to change device UUID. The device must be deactivated first.");
        co_return false;
    }
    if (name == *new_name) {
        s.out += fmt::format("{}: {}: name {}already in correct form\n", name,
                             uuid.empty() ? "[no UUID]" : uuid, uuid.empty() ? "" : "and UUID ");
        co_return true;
    }
    s.out += fmt::format("{}: renaming to {}\n", name, *new_name);
    // _do_rename(name, new_name, NULL).
    DmRequest rename;
    if (!co_await s.set_device(rename, &name, Task::rename)) co_return false;
    auto wire = s.wire_new_name(*new_name, false);
    if (!wire) co_return false;
    rename.new_name = std::move(*wire);
    co_return (co_await s.run(Task::rename, rename)).has_value();
}

}  // namespace dmemu::dmsetup
