// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/memory_disk.hpp"

#include <algorithm>
#include <cstring>

#include "emu/io/complete.hpp"

namespace dmemu::emu {

void MemoryDisk::submit(Bio bio) {
    if (reject_beyond_end(ctx_, bio, sectors_)) return;
    switch (bio.op) {
        case BioOp::read:
            read_now(bio.sector, bio.data, bio.bytes());
            break;
        case BioOp::write:
            write_now(bio.sector, bio.data, bio.bytes());
            break;
        case BioOp::discard:
            discard_now(bio.sector, bio.sectors);
            break;
        case BioOp::flush:
            break;
    }
    complete_later(ctx_, bio, 0);
}

void MemoryDisk::read_now(Sector sector, std::byte* out, std::size_t bytes) const {
    std::uint64_t pos = sector << kSectorShift;
    while (bytes > 0) {
        const std::uint64_t index = pos / kChunkBytes;
        const std::size_t off = pos % kChunkBytes;
        const std::size_t n = std::min(bytes, kChunkBytes - off);
        if (auto it = chunks_.find(index); it != chunks_.end())
            std::memcpy(out, it->second->data() + off, n);
        else
            std::memset(out, 0, n);
        out += n;
        pos += n;
        bytes -= n;
    }
}

void MemoryDisk::write_now(Sector sector, const std::byte* in, std::size_t bytes) {
    std::uint64_t pos = sector << kSectorShift;
    while (bytes > 0) {
        const std::uint64_t index = pos / kChunkBytes;
        const std::size_t off = pos % kChunkBytes;
        const std::size_t n = std::min(bytes, kChunkBytes - off);
        auto& chunk = chunks_[index];
        if (!chunk) chunk = std::make_unique<Chunk>(Chunk{});
        std::memcpy(chunk->data() + off, in, n);
        in += n;
        pos += n;
        bytes -= n;
    }
}

void MemoryDisk::discard_now(Sector sector, std::uint64_t sectors) {
    std::uint64_t pos = sector << kSectorShift;
    std::uint64_t bytes = sectors << kSectorShift;
    while (bytes > 0) {
        const std::uint64_t index = pos / kChunkBytes;
        const std::size_t off = pos % kChunkBytes;
        const std::size_t n = std::min<std::uint64_t>(bytes, kChunkBytes - off);
        if (auto it = chunks_.find(index); it != chunks_.end()) {
            if (n == kChunkBytes)
                chunks_.erase(it);
            else
                std::memset(it->second->data() + off, 0, n);
        }
        pos += n;
        bytes -= n;
    }
}

}  // namespace dmemu::emu
