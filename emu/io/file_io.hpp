// SPDX-License-Identifier: GPL-2.0-only
// Whole transfers at an offset of a file, retried after EINTR and short counts: what a FileDisk
// Bio does, and what the FUSE front end does itself when a request lies in one file (a small
// write, a small read reply).
#pragma once

#include <cstddef>
#include <cstdint>

namespace dmemu::emu {

// Reads up to `len` bytes at `offset` into `out`: the bytes read (fewer only at end of file),
// or a negative errno.
std::int64_t read_at_most(int fd, std::byte* out, std::size_t len, std::uint64_t offset);
// Writes all `len` bytes at `offset`: 0, or a negative errno (-EIO when the file takes no more).
int write_all(int fd, const std::byte* data, std::size_t len, std::uint64_t offset);

}  // namespace dmemu::emu
