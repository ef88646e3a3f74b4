// SPDX-License-Identifier: GPL-2.0-only
// Byte-addressed I/O on a BlockDevice, as the kernel's block-device file operations do it
// (blkdev_read_iter / blkdev_write_iter / blkdev_fallocate in block/fops.c): the byte range is
// turned into sector-aligned Bios; a write whose edges are not sector aligned reads the edge
// sectors first and writes whole sectors (read-modify-write).
//
// Contract: every function runs on the emulator's loop thread and calls `done` exactly once on
// that thread (possibly inline, for requests refused before any Bio is submitted). Buffers passed
// in stay valid until `done` runs. Reads stop at the end of the device (short read, 0 at EOF);
// writes stop at the end (short write) and a write that starts at or past it fails with -ENOSPC.
// Concurrent unaligned writes to the same sector are not serialized: the last write wins for
// its own bytes only if they do not share an edge sector (O_DIRECT on a real block device
// refuses unaligned I/O instead).
#pragma once

#include <cstddef>
#include <cstdint>

#include "emu/io/block_device.hpp"

namespace dmemu::emu {

// The sector-aligned cover of a byte range clipped to the device end.
struct SectorSpan {
    Sector sector = 0;          // first sector
    std::uint64_t sectors = 0;  // 0 when the range is empty after clipping
    std::size_t head = 0;       // bytes of the first sector before the range
    std::size_t bytes = 0;      // clipped length of the range
};
SectorSpan sector_span(std::uint64_t offset, std::size_t len, Sector device_sectors);

using IoDone = InlineFunction<void(int err, std::size_t bytes)>;

// Reads into `out`, which holds at least sector_span(...).sectors * 512 bytes: the range's
// bytes land at out + span.head. done(0, n) with n the clipped length.
void read_bytes(BlockDevice& dev, std::uint64_t offset, std::size_t len, std::byte* out,
                IoDone done);
// Writes `len` bytes from `data` (aligned ranges go straight from `data`, without a copy).
void write_bytes(BlockDevice& dev, std::uint64_t offset, const std::byte* data, std::size_t len,
                 IoDone done);
void flush_device(BlockDevice& dev, BioDone done);
// Discards a sector-aligned byte range (-EINVAL when unaligned or past the end, -EOPNOTSUPP when
// the device does not support discard), as blkdev_fallocate(FALLOC_FL_PUNCH_HOLE).
void discard_bytes(BlockDevice& dev, std::uint64_t offset, std::uint64_t len, BioDone done);

}  // namespace dmemu::emu
