// SPDX-License-Identifier: GPL-2.0-only
// A RAM disk (the kernel's brd): sparse, allocated in 64 KiB chunks on first write, so a
// thousand idle 1 GiB disks cost nothing. Unwritten and discarded ranges read as zeros.
// Every write is durable at once (there is no cache to lose at a power cut).
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <unordered_map>

#include "emu/io/block_device.hpp"

namespace dmemu::emu {

class MemoryDisk final : public BlockDevice {
public:
    static constexpr std::size_t kChunkBytes = 64 * 1024;

    MemoryDisk(boost::asio::io_context& ctx, Sector sectors) : ctx_(ctx), sectors_(sectors) {}

    Sector size_sectors() const override { return sectors_; }
    void submit(Bio bio) override;
    bool supports_discard() const override { return true; }
    // brd sets PAGE_SIZE; the oracle's alignment warnings depend on it.
    std::uint32_t physical_block_size() const override { return 4096; }

    // Synchronous access for tests and checks (legs-identical, data-intact).
    void read_now(Sector sector, std::byte* out, std::size_t bytes) const;
    void write_now(Sector sector, const std::byte* in, std::size_t bytes);
    std::size_t allocated_bytes() const { return chunks_.size() * kChunkBytes; }

private:
    using Chunk = std::array<std::byte, kChunkBytes>;
    void discard_now(Sector sector, std::uint64_t sectors);

    boost::asio::io_context& ctx_;
    Sector sectors_;
    std::unordered_map<std::uint64_t, std::unique_ptr<Chunk>> chunks_;
};

}  // namespace dmemu::emu
