// SPDX-License-Identifier: GPL-2.0-only
// A disk backed by a regular file (the kernel's loop device). Reads and writes are pread/pwrite
// on the loop thread; flush is fdatasync; FUA writes are followed by fdatasync; discard punches
// a hole. The file is not resized: the disk's size is the file's size when opened, rounded down
// to whole sectors.
#pragma once

#include "emu/io/block_device.hpp"

#include <boost/asio/io_context.hpp>

#include <string>

namespace dmemu::emu {

class FileDisk final : public BlockDevice {
public:
    // Opens (and, when create_sectors > 0 and the file is missing or shorter, creates and extends)
    // path. Throws std::system_error with the path and errno on failure.
    FileDisk(boost::asio::io_context& ctx, const std::string& path, Sector create_sectors = 0);
    ~FileDisk() override;
    FileDisk(const FileDisk&) = delete;
    FileDisk& operator=(const FileDisk&) = delete;

    Sector size_sectors() const override { return sectors_; }
    void submit(Bio bio) override;
    bool supports_discard() const override { return true; }
    std::optional<FileExtent> file_extent(Sector sector, std::uint64_t sectors,
                                          BioOp op) const override;
    const std::string& path() const { return path_; }

private:
    int do_io(const Bio& bio);

    boost::asio::io_context& ctx_;
    std::string path_;
    int fd_ = -1;
    Sector sectors_ = 0;
};

}  // namespace dmemu::emu
