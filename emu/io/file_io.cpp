// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/file_io.hpp"

#include <unistd.h>

#include <cerrno>

namespace dmemu::emu {

std::int64_t read_at_most(int fd, std::byte* out, std::size_t len, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pread(fd, out + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return static_cast<std::int64_t>(done);
}

int write_all(int fd, const std::byte* data, std::size_t len, std::uint64_t offset) {
    std::size_t done = 0;
    while (done < len) {
        const ssize_t n = ::pwrite(fd, data + done, len - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return -EIO;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

}  // namespace dmemu::emu
