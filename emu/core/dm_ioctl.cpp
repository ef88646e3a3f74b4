// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/dm_ioctl.hpp"

#include <array>
#include <utility>

namespace dmemu::emu {

namespace {

constexpr std::array<std::pair<DmCommand, const char*>, 26> kNames{{
    {DmCommand::version, "version"},
    {DmCommand::remove_all, "remove_all"},
    {DmCommand::list_devices, "list_devices"},
    {DmCommand::dev_create, "dev_create"},
    {DmCommand::dev_remove, "dev_remove"},
    {DmCommand::dev_rename, "dev_rename"},
    {DmCommand::dev_suspend, "dev_suspend"},
    {DmCommand::dev_status, "dev_status"},
    {DmCommand::table_load, "table_load"},
    {DmCommand::table_clear, "table_clear"},
    {DmCommand::table_deps, "table_deps"},
    {DmCommand::table_status, "table_status"},
    {DmCommand::list_versions, "list_versions"},
    {DmCommand::target_msg, "target_msg"},
    {DmCommand::dev_wait, "dev_wait"},
    {DmCommand::dev_set_geometry, "dev_set_geometry"},
    {DmCommand::dev_arm_poll, "dev_arm_poll"},
    {DmCommand::get_target_version, "get_target_version"},
    {DmCommand::disk_add, "disk_add"},
    {DmCommand::disk_list, "disk_list"},
    {DmCommand::disk_remove, "disk_remove"},
    {DmCommand::dmesg, "dmesg"},
    {DmCommand::fault_add, "fault_add"},
    {DmCommand::fault_list, "fault_list"},
    {DmCommand::fault_remove, "fault_remove"},
    {DmCommand::fault_clear, "fault_clear"},
}};

}  // namespace

const char* to_string(DmCommand c) {
    for (const auto& [cmd, name] : kNames)
        if (cmd == c) return name;
    return "?";
}

std::optional<DmCommand> dm_command_from_string(std::string_view s) {
    for (const auto& [cmd, name] : kNames)
        if (s == name) return cmd;
    return std::nullopt;
}

}  // namespace dmemu::emu
