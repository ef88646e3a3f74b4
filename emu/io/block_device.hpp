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
#include <optional>
#include <string>

namespace dmemu::emu {

struct DevT {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    auto operator<=>(const DevT&) const = default;
    std::string str() const;  // "major:minor", as the kernel prints dm_dev->name
};

// Where a range of a device's sectors lies, byte for byte, in an open regular file.
struct FileExtent {
    int fd = -1;
    std::uint64_t offset = 0;  // byte offset in the file of the range's first sector
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
    // The file extent that holds sectors [sector, sector + sectors) when a read or write (op) of
    // that range submitted now would do nothing but the same pread/pwrite there: no fault, hold,
    // split, cache or copy on the way. The FUSE front end then moves the bytes with splice
    // instead of through a Bio buffer (docs/fuse.md). Valid only until control returns to the
    // loop: the caller does its I/O at once. nullopt, the default, means "submit a Bio".
    virtual std::optional<FileExtent> file_extent(Sector /*sector*/, std::uint64_t /*sectors*/,
                                                  BioOp /*op*/) const {
        return std::nullopt;
    }
};

}  // namespace dmemu::emu
