// SPDX-License-Identifier: GPL-2.0-only
// Data buffers for reads and writes in flight, recycled: a fresh 1 MiB allocation is a fresh
// mmap whose every page faults on first touch, which cost more than the copy itself (docs/
// performance.md). Capacities are a power of two from 4 KiB to 1 MiB plus 4 KiB of
// headroom, so that one FUSE request (1 MiB of data after its header) fits the largest class.
// Each class keeps at most kKeepPerClass idle buffers (a bound of 32 MiB; in practice as many
// buffers as requests were in flight at once: 16 MiB for 16 requests of 1 MiB).
//
// Threads: any (workers take write buffers, the loop takes read buffers and frees both).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace dmemu::emu {

class IoBufferPool;

// A buffer of at least the asked size; not zeroed. Returns itself to its pool when destroyed.
class IoBuffer {
public:
    IoBuffer() = default;
    // A moved-from buffer is empty: no data, capacity 0.
    IoBuffer(IoBuffer&& o) noexcept;
    IoBuffer& operator=(IoBuffer&& o) noexcept;
    ~IoBuffer();

    std::byte* data() const { return bytes_.get(); }
    std::size_t capacity() const { return capacity_; }

private:
    friend class IoBufferPool;
    IoBuffer(IoBufferPool* pool, std::unique_ptr<std::byte[]> bytes, std::size_t capacity)
        : pool_(pool), bytes_(std::move(bytes)), capacity_(capacity) {}
    void give_back();

    IoBufferPool* pool_ = nullptr;
    std::unique_ptr<std::byte[]> bytes_;
    std::size_t capacity_ = 0;
};

class IoBufferPool {
public:
    static constexpr std::size_t kMinBytes = 4096;
    static constexpr std::size_t kHeadroomBytes = 4096;
    static constexpr std::size_t kKeepPerClass = 16;

    // Must outlive every buffer it hands out.
    IoBuffer take(std::size_t bytes);
    std::size_t idle_bytes() const;

private:
    friend class IoBuffer;
    static constexpr std::size_t kClasses = 9;  // (4 KiB << 0 .. 4 KiB << 8 = 1 MiB) + 4 KiB
    static std::size_t capacity_of(std::size_t c) { return (kMinBytes << c) + kHeadroomBytes; }
    static std::size_t class_of(std::size_t bytes);  // kClasses when too large to pool
    void put(std::unique_ptr<std::byte[]> bytes, std::size_t capacity);

    mutable std::mutex m_;
    std::array<std::vector<std::unique_ptr<std::byte[]>>, kClasses> idle_;
};

}  // namespace dmemu::emu
