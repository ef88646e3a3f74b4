// SPDX-License-Identifier: GPL-2.0-only
// A disk backed by a regular file (the kernel's loop device). Reads and writes are pread/pwrite;
// flush is fdatasync; FUA writes are followed by fdatasync; discard punches a hole. The file is
// not resized: the disk's size is the file's size when opened, rounded down to whole sectors.
//
// Without an IoWorker the I/O runs inside submit(), on the loop: the file holds a write's data
// once submit() returns (FaultyDisk's power cuts rely on that; scenarios use this mode). With
// one (the daemon's mode: io_worker.hpp says why), submit() hands a Bio of 64 KiB or more to the
// worker's thread, and any Bio while earlier ones are still there, so the file sees Bios in
// submission order; completions come back to the loop. The destructor waits for what it handed
// over.
#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "emu/io/block_device.hpp"

namespace dmemu::emu {

class IoWorker;

class FileDisk final : public BlockDevice {
public:
    // Opens (and, when create_sectors > 0 and the file is missing or shorter, creates and extends)
    // path. Throws std::system_error with the path and errno on failure.
    // `worker`, when given, must outlive the disk.
    FileDisk(boost::asio::io_context& ctx, const std::string& path, Sector create_sectors = 0,
             IoWorker* worker = nullptr);
    ~FileDisk() override;
    FileDisk(const FileDisk&) = delete;
    FileDisk& operator=(const FileDisk&) = delete;

    Sector size_sectors() const override { return sectors_; }
    void submit(Bio bio) override;
    bool supports_discard() const override { return true; }
    std::optional<FileExtent> file_extent(Sector sector, std::uint64_t sectors, BioOp op) override;
    const std::string& path() const { return path_; }

private:
    // Bios handed to the worker and not yet done with the file.
    struct Handed {
        std::mutex m;
        std::condition_variable idle;
        std::size_t count = 0;
    };
    static int do_io(int fd, const Bio& bio);

    boost::asio::io_context& ctx_;
    std::string path_;
    int fd_ = -1;
    Sector sectors_ = 0;
    IoWorker* worker_ = nullptr;
    std::shared_ptr<Handed> handed_ = std::make_shared<Handed>();
};

}  // namespace dmemu::emu
