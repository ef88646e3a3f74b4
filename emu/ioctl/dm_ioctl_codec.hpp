// SPDX-License-Identifier: GPL-2.0-only
// The binary form of the control interface: struct dm_ioctl buffers as /dev/mapper/control's
// ioctl(2) takes and returns them (include/uapi/linux/dm-ioctl.h, driver version 4.47), turned
// into the DmRequest the device mapper runs and back from its DmReply, the way
// drivers/md/dm-ioctl.c's ctl_ioctl does it:
//
//   decode   check_version, lookup_ioctl, copy_params, validate_params, and each command's
//            reading of its payload (populate_table's dm_target_spec chain, the new name of a
//            rename, dm_target_msg, the geometry string). A buffer the kernel would refuse gets
//            its errno and DMERR here and never reaches the device mapper.
//   encode   __dev_status, __find_device_hash_cell's write-back of name and uuid, and the result
//            buffers (dm_name_list, dm_target_versions, dm_target_deps, dm_target_spec + status
//            text with `next` offsets, DM_DATA_OUT messages), DM_BUFFER_FULL_FLAG when they do
//            not fit the caller's data_size, and what copy_to_user writes back.
//
// Pure functions over byte spans: no I/O, so the fuzzer and tests call them directly. Payload
// problems the kernel only notices after finding the device (a bad table, message or geometry)
// travel in DmRequest::payload_error so that a missing device still wins with ENXIO.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "emu/core/dm_ioctl.hpp"

namespace dmemu::emu {

// What one ioctl(2) call made of its buffer.
struct DecodedIoctl {
    int error = 0;                 // nonzero: the ioctl fails with it at once
    std::string kernel_error;      // the DMERR ("device-mapper: ioctl: ...") that goes with it
    bool version_only = false;     // DM_VERSION: answered without the device mapper
    bool version_checked = false;  // check_version ran: the version goes back even on failure
    std::uint32_t nr = 0;          // _IOC_NR(command)
    DmRequest request;
    // The kernel's copy of the caller's struct (input_param_size bytes, never fewer than
    // sizeof(struct dm_ioctl)), flags already cleared as validate_params clears them.
    std::vector<std::uint8_t> param;
    std::size_t param_size = 0;  // input_param_size: where the result buffer ends
};

// `command` is ioctl(2)'s request number; `in` the bytes the caller's buffer holds (what
// copy_from_user may read: fewer than its data_size is -EFAULT).
DecodedIoctl decode_dm_ioctl(std::uint32_t command, std::span<const std::uint8_t> in);

// What the caller gets back: ioctl(2)'s return value, and the bytes written over the start of
// its buffer.
struct IoctlAnswer {
    int result = 0;
    std::vector<std::uint8_t> out;
};

// The answer to a decoded ioctl: `reply` is the device mapper's, ignored when the decode failed
// or the command was DM_VERSION.
IoctlAnswer encode_dm_ioctl_answer(const DecodedIoctl& in, const DmReply& reply);

// The kernel's DM_MAX_TARGETS * DM_MAX_TARGET_PARAMS: copy_params refuses a larger data_size.
inline constexpr std::uint32_t kDmMaxDataSize = 1048576u * 1024u;

}  // namespace dmemu::emu
