// SPDX-License-Identifier: GPL-2.0-only
// Where struct dm_ioctl and its payload structs keep their fields (include/uapi/linux/dm-ioctl.h,
// the system's copy of the kernel header), and the kernel's table of ioctl commands
// (dm-ioctl.c: lookup_ioctl). Shared by the decoder and the encoder; offsets are pinned so that
// a header that changed under us fails to build rather than to talk.
#pragma once

#include <linux/dm-ioctl.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "emu/core/dm_ioctl.hpp"

namespace dmemu::emu::dm_layout {

static_assert(sizeof(dm_ioctl) == 312);
static_assert(offsetof(dm_ioctl, data_size) == 12 && offsetof(dm_ioctl, data_start) == 16);
static_assert(offsetof(dm_ioctl, flags) == 28 && offsetof(dm_ioctl, event_nr) == 32);
static_assert(offsetof(dm_ioctl, dev) == 40 && offsetof(dm_ioctl, name) == 48);
static_assert(offsetof(dm_ioctl, uuid) == 176 && offsetof(dm_ioctl, data) == 305);
static_assert(sizeof(dm_target_spec) == 40 && offsetof(dm_target_spec, next) == 20);
static_assert(offsetof(dm_target_spec, target_type) == 24);
static_assert(offsetof(dm_name_list, name) == 12 && offsetof(dm_target_versions, name) == 16);
static_assert(sizeof(dm_target_deps) == 8 && sizeof(dm_target_msg) == 8);

// offsetof(struct dm_ioctl, data): the least copy_params reads, and the data_size of a reply
// that carries no payload.
inline constexpr std::size_t kHeader = offsetof(dm_ioctl, data);
// get_result_buffer's data_start: the struct rounded up to 8 bytes.
inline constexpr std::size_t kResultStart = (sizeof(dm_ioctl) + 7) & ~std::size_t{7};
inline constexpr std::size_t align8(std::size_t v) { return (v + 7) & ~std::size_t{7}; }

// lookup_ioctl's flags.
inline constexpr unsigned kNoParams = 1;     // IOCTL_FLAGS_NO_PARAMS
inline constexpr unsigned kGlobalEvent = 2;  // IOCTL_FLAGS_ISSUE_GLOBAL_EVENT

struct IoctlKind {
    DmCommand command;
    unsigned flags;
};

// _ioctls[] by _IOC_NR; nullopt past its end. DM_VERSION (0) is answered before the table.
inline std::optional<IoctlKind> ioctl_kind(std::uint32_t nr) {
    static constexpr IoctlKind kTable[] = {
        {DmCommand::version, 0},
        {DmCommand::remove_all, kNoParams | kGlobalEvent},
        {DmCommand::list_devices, 0},
        {DmCommand::dev_create, kNoParams | kGlobalEvent},
        {DmCommand::dev_remove, kNoParams | kGlobalEvent},
        {DmCommand::dev_rename, kGlobalEvent},
        {DmCommand::dev_suspend, kNoParams},
        {DmCommand::dev_status, kNoParams},
        {DmCommand::dev_wait, 0},
        {DmCommand::table_load, 0},
        {DmCommand::table_clear, kNoParams},
        {DmCommand::table_deps, 0},
        {DmCommand::table_status, 0},
        {DmCommand::list_versions, 0},
        {DmCommand::target_msg, 0},
        {DmCommand::dev_set_geometry, 0},
        {DmCommand::dev_arm_poll, kNoParams},
        {DmCommand::get_target_version, 0},
    };
    if (nr >= std::size(kTable)) return std::nullopt;
    return kTable[nr];
}

// Fixed-width fields at byte offsets of a buffer that is known to be long enough.
template <typename T>
T load(const std::vector<std::uint8_t>& b, std::size_t off) {
    T v;
    std::memcpy(&v, b.data() + off, sizeof v);
    return v;
}
template <typename T>
void store(std::vector<std::uint8_t>& b, std::size_t off, T v) {
    std::memcpy(b.data() + off, &v, sizeof v);
}

}  // namespace dmemu::emu::dm_layout
