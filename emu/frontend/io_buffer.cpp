// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/io_buffer.hpp"

#include <utility>

namespace dmemu::emu {

std::size_t IoBufferPool::class_of(std::size_t bytes) {
    for (std::size_t c = 0; c < kClasses; ++c)
        if (bytes <= capacity_of(c)) return c;
    return kClasses;
}

IoBuffer::IoBuffer(IoBuffer&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      bytes_(std::move(o.bytes_)),
      capacity_(std::exchange(o.capacity_, 0)) {}

IoBuffer& IoBuffer::operator=(IoBuffer&& o) noexcept {
    if (this != &o) {
        give_back();
        pool_ = std::exchange(o.pool_, nullptr);
        bytes_ = std::move(o.bytes_);
        capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
}

IoBuffer::~IoBuffer() { give_back(); }

void IoBuffer::give_back() {
    if (pool_ && bytes_) pool_->put(std::move(bytes_), capacity_);
    bytes_.reset();
    capacity_ = 0;
}

IoBuffer IoBufferPool::take(std::size_t bytes) {
    const std::size_t c = class_of(bytes);
    if (c == kClasses)
        return IoBuffer(nullptr, std::unique_ptr<std::byte[]>(new std::byte[bytes]), bytes);
    const std::size_t capacity = capacity_of(c);
    {
        std::lock_guard lk(m_);
        if (!idle_[c].empty()) {
            auto b = std::move(idle_[c].back());
            idle_[c].pop_back();
            return IoBuffer(this, std::move(b), capacity);
        }
    }
    // Not value-initialized: callers fill what they use.
    return IoBuffer(this, std::unique_ptr<std::byte[]>(new std::byte[capacity]), capacity);
}

void IoBufferPool::put(std::unique_ptr<std::byte[]> bytes, std::size_t capacity) {
    const std::size_t c = class_of(capacity);
    std::lock_guard lk(m_);
    if (c < kClasses && idle_[c].size() < kKeepPerClass) idle_[c].push_back(std::move(bytes));
}

std::size_t IoBufferPool::idle_bytes() const {
    std::lock_guard lk(m_);
    std::size_t total = 0;
    for (std::size_t c = 0; c < kClasses; ++c) total += idle_[c].size() * capacity_of(c);
    return total;
}

}  // namespace dmemu::emu
