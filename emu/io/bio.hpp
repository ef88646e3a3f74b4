// SPDX-License-Identifier: GPL-2.0-only
// A block I/O request, the emulator's struct bio.
//
// Sectors are 512 bytes. For read and write, `data` points at sectors * 512 bytes owned by the
// submitter until `done` runs; flush and discard carry no data. `done(err)` runs exactly once,
// on the loop, with 0 or a negative errno (-EIO, -ENOSPC, ...), never inline from submit(): a
// caller may hold state across submit() without re-entrancy surprises.
//
// `done` is an InlineFunction: a layer that wraps the completion it was given (a mapped
// device counting I/O in flight, a disk dropping completions after a power cut) moves the inner
// one into its own lambda, whose storage is recycled, so a Bio crosses any number of layers
// without a heap allocation in the steady state.
#pragma once

#include <cstddef>
#include <cstdint>

#include "emu/util/inline_function.hpp"

namespace dmemu::emu {

using Sector = std::uint64_t;
inline constexpr unsigned kSectorShift = 9;
inline constexpr std::size_t kSectorSize = 512;

enum class BioOp : std::uint8_t { read, write, flush, discard };

const char* to_string(BioOp op);

using BioDone = InlineFunction<void(int err)>;

struct Bio {
    BioOp op = BioOp::read;
    Sector sector = 0;           // first sector, relative to the device it is submitted to
    std::uint64_t sectors = 0;   // length; 0 for flush
    std::byte* data = nullptr;   // read: destination; write: source
    bool fua = false;            // write: durable before completion (REQ_FUA)
    unsigned target_bio_nr = 0;  // which of a target's num_flush_bios clones this is
    BioDone done;

    std::size_t bytes() const { return static_cast<std::size_t>(sectors) << kSectorShift; }
    bool has_data() const { return op == BioOp::read || op == BioOp::write; }
};

}  // namespace dmemu::emu
