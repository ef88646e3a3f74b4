// SPDX-License-Identifier: GPL-2.0-only
// The block device interface every disk, fault layer and mapped device implements, so devices
// stack: a table's targets submit to BlockDevices without knowing what is below.
//
// Contract: all calls on the emulator's loop thread; submit() never completes inline (see
// bio.hpp); I/O past the end completes with -EIO as the kernel's bio_check_eod does.
#pragma once

#include "emu/io/bio.hpp"

#include <compare>
#include <cstdint>
#include <string>

namespace dmemu::emu {

struct DevT {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    auto operator<=>(const DevT&) const = default;
    std::string str() const;  // "major:minor", as the kernel prints dm_dev->name
};

class BlockDevice {
public:
    virtual ~BlockDevice() = default;
    virtual Sector size_sectors() const = 0;
    virtual void submit(Bio bio) = 0;
    virtual bool supports_discard() const { return false; }
    // Optimal I/O size in bytes (queue_limits.io_opt), 0 when the device has none.
    virtual std::uint32_t io_opt_bytes() const { return 0; }
    // queue_limits.physical_block_size in bytes.
    virtual std::uint32_t physical_block_size() const { return 512; }
};

}  // namespace dmemu::emu
