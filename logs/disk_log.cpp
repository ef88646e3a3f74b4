// SPDX-License-Identifier: GPL-2.0-only
// The "disk" dirty log: the core log's state, with the clean bits kept on a log device so they
// survive a reload or a crash (drivers/md/dm-log.c, disk_*).
//
// Log args:    <log_dev> <region_size> [sync|nosync]
// TABLE:       "disk <2|3> <log_dev> <region_size> [sync |nosync ]"  e.g. "disk 2 1:2 1024 "
// INFO:        "3 disk <log_dev> <A|D|F>"   D after a log I/O error, F after a failed flush
//
// On-disk format (the kernel's, little-endian, so logs move between dmemu and a real kernel):
//   byte 0     __le32 magic      0x4D695272 ("MiRr" read as a big-endian word)
//   byte 4     __le32 version    2 (1 is read as 2 on little-endian hosts)
//   byte 8     __le64 nr_regions regions the bitmap describes
//   byte 1024  clean bits        (LOG_OFFSET = 2 sectors), one bit per region, region r is bit
//                                r%8 of byte r/8, padded to whole 32-bit words
// Header and bits are read and written as one I/O from sector 0, rounded up to the log device's
// logical block size (512). The state is read at resume (not at ctr) and written, followed by a
// flush, at resume and whenever a flush finds marks or clears since the last one.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "emu/io/submit_wait.hpp"
#include "emu/util/kernel_log.hpp"
#include "logs/core_log_context.hpp"

namespace dmemu::logs {

namespace {

constexpr std::string_view kPrefix = "dirty region log";
constexpr std::uint32_t kMirrorMagic = 0x4D695272;
constexpr std::uint32_t kMirrorDiskVersion = 2;
constexpr std::size_t kLogOffsetBytes = 2 * emu::kSectorSize;  // LOG_OFFSET << SECTOR_SHIFT
constexpr std::size_t kLogicalBlockBytes = 512;

// struct log_header_disk.
constexpr std::size_t kMagicOffset = 0;
constexpr std::size_t kVersionOffset = 4;
constexpr std::size_t kNrRegionsOffset = 8;

void put_le(std::byte* p, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) p[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}
std::uint64_t get_le(const std::byte* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t(std::to_integer<std::uint8_t>(p[i])) << (8 * i);
    return v;
}

struct LogHeader {  // struct log_header_core
    std::uint32_t magic = 0;
    std::uint32_t version = 0;
    std::uint64_t nr_regions = 0;
};

class DiskLog final : public CoreLogContext {
public:
    DiskLog(emu::TableEnvironment& env, std::shared_ptr<emu::DeviceRef> dev, const LogArgs& args,
            std::size_t buf_bytes)
        : CoreLogContext(args), env_(env), dev_(std::move(dev)), buf_(buf_bytes) {}

    asio::awaitable<int> resume() override;
    asio::awaitable<int> flush() override;
    // disk_flush doubles as the postsuspend hook, so marks reach the disk before suspend ends.
    asio::awaitable<int> postsuspend() override { co_return co_await flush(); }

    asio::awaitable<std::string> status(emu::StatusType type) override {
        if (type == emu::StatusType::info)
            co_return fmt::format("3 disk {} {}", dev_->name(),
                                  dev_flush_failed_ ? 'F'
                                  : dev_failed_     ? 'D'
                                                    : 'A');
        co_return fmt::format("disk {} {} {} {}", sync_ == LogSync::defaultsync ? 2 : 3,
                              dev_->name(), region_size_, sync_word());
    }

private:
    asio::awaitable<int> rw_header(emu::BioOp op);
    asio::awaitable<int> flush_header();
    asio::awaitable<int> read_header();
    void fail_log_device() {
        if (dev_failed_) return;
        dev_failed_ = true;
        env_.table_event();
    }

    emu::TableEnvironment& env_;
    std::shared_ptr<emu::DeviceRef> dev_;
    std::vector<std::byte> buf_;  // header and clean bits as they sit on the disk
    LogHeader header_;
    bool dev_failed_ = false;
    bool dev_flush_failed_ = false;
};

asio::awaitable<int> DiskLog::rw_header(emu::BioOp op) {
    if (op == emu::BioOp::write) {
        std::fill(buf_.begin(), buf_.end(), std::byte{0});
        put_le(buf_.data() + kMagicOffset, header_.magic, 4);
        put_le(buf_.data() + kVersionOffset, header_.version, 4);
        put_le(buf_.data() + kNrRegionsOffset, header_.nr_regions, 8);
        for (std::size_t w = 0; w < clean_bits_.size(); ++w)
            put_le(buf_.data() + kLogOffsetBytes + 4 * w, clean_bits_[w], 4);
    }
    emu::Bio bio;
    bio.op = op;
    bio.sector = 0;
    bio.sectors = buf_.size() / emu::kSectorSize;
    bio.data = buf_.data();
    const int r = co_await emu::submit_and_wait(dev_->device(), std::move(bio));
    if (r == 0 && op == emu::BioOp::read) {
        header_.magic = static_cast<std::uint32_t>(get_le(buf_.data() + kMagicOffset, 4));
        header_.version = static_cast<std::uint32_t>(get_le(buf_.data() + kVersionOffset, 4));
        header_.nr_regions = get_le(buf_.data() + kNrRegionsOffset, 8);
        // The kernel's clean bits live in this buffer, so a read replaces them wholesale.
        for (std::size_t w = 0; w < clean_bits_.size(); ++w)
            clean_bits_[w] =
                static_cast<std::uint32_t>(get_le(buf_.data() + kLogOffsetBytes + 4 * w, 4));
    }
    co_return r;
}

asio::awaitable<int> DiskLog::flush_header() {
    emu::Bio bio;
    bio.op = emu::BioOp::flush;
    co_return co_await emu::submit_and_wait(dev_->device(), std::move(bio));
}

asio::awaitable<int> DiskLog::read_header() {
    const int r = co_await rw_header(emu::BioOp::read);
    if (r != 0) co_return r;
    // New log required? ("sync"/"nosync" or no magic: ignore what is on the disk.)
    if (sync_ != LogSync::defaultsync || header_.magic != kMirrorMagic) {
        header_.magic = kMirrorMagic;
        header_.version = kMirrorDiskVersion;
        header_.nr_regions = 0;
    }
    if (header_.version == 1) header_.version = 2;
    if (header_.version != kMirrorDiskVersion) {
        env_.kernel_log().warn(kPrefix, "incompatible disk log version");
        co_return -EINVAL;
    }
    co_return 0;
}

// disk_resume
asio::awaitable<int> DiskLog::resume() {
    auto& klog = env_.kernel_log();
    int r = co_await read_header();
    if (r != 0) {
        klog.warn(kPrefix, "{}: Failed to read header on dirty region log device", dev_->name());
        fail_log_device();
        // Unreadable: every region must be assumed out of sync.
        header_.nr_regions = 0;
    }
    // Regions the header does not cover are new (the device grew).
    for (Region i = header_.nr_regions; i < region_count_; ++i) {
        if (sync_ == LogSync::nosync)
            set_bit(clean_bits_, i);
        else
            clear_bit(clean_bits_, i);
    }
    // Bits past the end (the device shrank) are cleared.
    for (Region i = region_count_; i % 32 != 0; ++i) clear_bit(clean_bits_, i);
    sync_bits_ = clean_bits_;
    sync_count_ = count_bits(clean_bits_);
    sync_search_ = 0;
    header_.nr_regions = region_count_;

    r = co_await rw_header(emu::BioOp::write);
    if (r == 0) {
        r = co_await flush_header();
        if (r != 0) dev_flush_failed_ = true;
    }
    if (r != 0) {
        klog.warn(kPrefix, "{}: Failed to write header on dirty region log device", dev_->name());
        fail_log_device();
    }
    co_return r;
}

// disk_flush: write only when something changed; a flush follows only new marks.
asio::awaitable<int> DiskLog::flush() {
    if (!touched_cleaned_ && !touched_dirtied_) co_return 0;
    int r = co_await rw_header(emu::BioOp::write);
    if (r != 0) {
        fail_log_device();
    } else {
        if (touched_dirtied_) {
            r = co_await flush_header();
            if (r != 0) {
                dev_flush_failed_ = true;
                fail_log_device();
            } else {
                touched_dirtied_ = false;
            }
        }
        touched_cleaned_ = false;
    }
    co_return r;
}

asio::awaitable<DirtyLogCtrResult> disk_ctr(emu::TargetContext& ti, std::vector<std::string> args) {
    if (args.size() < 2 || args.size() > 3) {
        ti.env.kernel_log().warn(kPrefix, "wrong number of arguments to disk dirty region log");
        co_return DirtyLogCtrResult::fail(-EINVAL);
    }
    int err = 0;
    auto dev = ti.get_device(args[0], &err);
    if (!dev) co_return DirtyLogCtrResult::fail(err != 0 ? err : -ENODEV);
    const auto parsed = parse_log_args(ti, {args.begin() + 1, args.end()});
    if (!parsed) co_return DirtyLogCtrResult::fail(-EINVAL);
    const std::size_t bitset_bytes = (parsed->region_count + 31) / 32 * 4;
    const std::size_t buf_bytes = (kLogOffsetBytes + bitset_bytes + kLogicalBlockBytes - 1) /
                                  kLogicalBlockBytes * kLogicalBlockBytes;
    if (buf_bytes > dev->device().size_sectors() * emu::kSectorSize) {
        ti.env.kernel_log().warn(kPrefix, "log device {} too small: need {} bytes", dev->name(),
                                 buf_bytes);
        co_return DirtyLogCtrResult::fail(-EINVAL);
    }
    co_return DirtyLogCtrResult{
        std::make_unique<DiskLog>(ti.env, std::move(dev), *parsed, buf_bytes)};
}

}  // namespace

extern const DirtyLogType disk_log_type;
const DirtyLogType disk_log_type{"disk", disk_ctr};

}  // namespace dmemu::logs
