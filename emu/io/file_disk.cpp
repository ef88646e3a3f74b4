// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/file_disk.hpp"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "emu/io/complete.hpp"
#include "emu/io/file_io.hpp"
#include "emu/io/io_worker.hpp"

namespace dmemu::emu {

FileDisk::FileDisk(boost::asio::io_context& ctx, const std::string& path, Sector create_sectors,
                   IoWorker* worker)
    : ctx_(ctx), path_(path), worker_(worker) {
    const int flags = O_RDWR | O_CLOEXEC | (create_sectors > 0 ? O_CREAT : 0);
    fd_ = ::open(path.c_str(), flags, 0600);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), path);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        const int e = errno;
        ::close(fd_);
        throw std::system_error(e, std::generic_category(), path);
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (create_sectors > 0 && size < (create_sectors << kSectorShift)) {
        size = create_sectors << kSectorShift;
        if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
            const int e = errno;
            ::close(fd_);
            throw std::system_error(e, std::generic_category(), path);
        }
    }
    sectors_ = size >> kSectorShift;
}

FileDisk::~FileDisk() {
    // The worker may still be using fd_: wait for it (a pwrite at most per handed Bio).
    std::unique_lock lk(handed_->m);
    handed_->idle.wait(lk, [&] { return handed_->count == 0; });
    if (fd_ >= 0) ::close(fd_);
}

int FileDisk::do_io(int fd, const Bio& bio) {
    const off_t off = static_cast<off_t>(bio.sector << kSectorShift);
    switch (bio.op) {
        case BioOp::read: {
            const std::int64_t n =
                read_at_most(fd, bio.data, bio.bytes(), bio.sector << kSectorShift);
            if (n < 0) return static_cast<int>(n);
            // A file truncated under us reads short: the rest is zeros, as a hole.
            std::fill(bio.data + n, bio.data + bio.bytes(), std::byte{0});
            return 0;
        }
        case BioOp::write:
            if (const int err = write_all(fd, bio.data, bio.bytes(), bio.sector << kSectorShift))
                return err;
            return bio.fua && ::fdatasync(fd) != 0 ? -errno : 0;
        case BioOp::flush:
            return ::fdatasync(fd) == 0 ? 0 : -errno;
        case BioOp::discard:
            if (::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
                            static_cast<off_t>(bio.bytes())) != 0)
                return errno == EOPNOTSUPP ? 0 : -errno;  // discard is advisory
            return 0;
    }
    return -EINVAL;
}

std::optional<FileExtent> FileDisk::file_extent(Sector sector, std::uint64_t sectors, BioOp op) {
    // Past the end a Bio fails with -EIO; the extent must not hide that.
    if (!(op == BioOp::read || op == BioOp::write) || sector > sectors_ ||
        sectors > sectors_ - sector)
        return std::nullopt;
    if (op == BioOp::write && worker_) {
        // A write from the extent lands at once: not past Bios the worker still has, which the
        // file must see first (submission order, as submit() keeps it).
        std::lock_guard lk(handed_->m);
        if (handed_->count > 0) return std::nullopt;
    }
    return FileExtent{fd_, sector << kSectorShift};
}

void FileDisk::submit(Bio bio) {
    if (reject_beyond_end(ctx_, bio, sectors_)) return;
    // Small Bios stay on the loop (the hand-off costs more than their copy) unless earlier ones
    // are still with the worker: then they queue behind them, so the file still sees every Bio
    // in submission order.
    bool hand_over = false;
    if (worker_) {
        std::lock_guard lk(handed_->m);
        hand_over = handed_->count > 0 || bio.bytes() >= IoWorker::kWorthHandingOver;
        if (hand_over) ++handed_->count;
    }
    if (!hand_over) {
        const int err = do_io(fd_, bio);
        complete_later(ctx_, bio, err);
        return;
    }
    worker_->post([ctx = &ctx_, fd = fd_, handed = handed_, bio = std::move(bio)]() mutable {
        const int err = do_io(fd, bio);
        complete_later(*ctx, bio, err);
        std::lock_guard lk(handed->m);
        if (--handed->count == 0) handed->idle.notify_all();
    });
}

}  // namespace dmemu::emu
