// SPDX-License-Identifier: GPL-2.0-only
// The block device interface every disk, fault layer and mapped device implements, so devices
// stack: a table's targets submit to BlockDevices without knowing what is below.
//
// Contract: all calls on the emulator's loop thread; submit() never completes inline (see
// bio.hpp); I/O past the end completes with -EIO as the kernel's bio_check_eod does.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "emu/io/bio.hpp"

namespace dmemu::emu {

struct DevT {
    std::uint32_t major = 0;
    std::uint32_t minor = 0;
    auto operator<=>(const DevT&) const = default;
    std::string str() const;  // "major:minor", as the kernel prints dm_dev->name
    // huge_encode_dev / huge_decode_dev (include/linux/kdev_t.h): the u64 of struct dm_ioctl's
    // `dev`, dm_name_list's `dev` and dm_target_deps' `dev[]`; glibc's makedev agrees for every
    // major below 4096 and minor below 2^20.
    std::uint64_t huge_encode() const {
        return (minor & 0xffu) | (std::uint64_t{major} << 8) |
               (std::uint64_t{minor & ~0xffu} << 12);
    }
    static DevT huge_decode(std::uint64_t dev) {
        const auto d = static_cast<std::uint32_t>(dev);  // new_decode_dev takes a u32
        return DevT{(d & 0xfff00u) >> 8, (d & 0xffu) | ((d >> 12) & 0xfff00u)};
    }
};

// A layer that counts the I/O passing through it: a mapped device, whose suspend waits until
// the count drains. Loop only.
class InFlightCounter {
public:
    virtual void io_started() = 0;
    virtual void io_ended() = 0;

protected:
    ~InFlightCounter() = default;
};

// Where a range of a device's sectors lies, byte for byte, in an open regular file, and the
// counting layers it was found through.
struct FileExtent {
    static constexpr std::size_t kMaxLayers = 4;

    int fd = -1;
    std::uint64_t offset = 0;  // byte offset in the file of the range's first sector
    std::array<std::shared_ptr<InFlightCounter>, kMaxLayers> layers{};
    std::size_t depth = 0;

    // Records a layer the extent passed; false when kMaxLayers are recorded already (the layer
    // then offers no extent: a Bio takes the range instead).
    bool add_layer(std::shared_ptr<InFlightCounter> layer);
    // I/O done from the extent after the loop step that found it (a read answered on another
    // thread) is in flight on every layer from io_started() to io_ended(), both on the loop, so
    // that a suspend anywhere in the stack waits for it as for a Bio. The layers' shared_ptrs
    // keep them alive until then; the file stays open as its disk is held by them or by an open
    // file of its own.
    void io_started() const;
    void io_ended() const;
};

class BlockDevice {
public:
    virtual ~BlockDevice() = default;
    virtual Sector size_sectors() const = 0;
    virtual void submit(Bio bio) = 0;
    virtual bool supports_discard() const { return false; }
    // Optimal I/O size in bytes (queue_limits.io_opt), 0 when the device has none.
    virtual std::uint32_t io_opt_bytes() const { return 0; }
    // queue_limits.physical_block_size in bytes.
    virtual std::uint32_t physical_block_size() const { return 512; }
    // queue_limits.io_min in bytes: never below the physical block size (blk_limits_io_min).
    virtual std::uint32_t io_min_bytes() const { return physical_block_size(); }
    // The file extent that holds sectors [sector, sector + sectors) when a read or write (op) of
    // that range submitted now would do nothing but the same pread/pwrite there: no fault, hold,
    // split, cache or copy on the way. The FUSE front end then moves the bytes with splice
    // instead of through a Bio buffer (docs/fuse.md). Valid only until control returns to the
    // loop (FileExtent::io_started says how to keep it longer). nullopt, the default, means
    // "submit a Bio".
    virtual std::optional<FileExtent> file_extent(Sector /*sector*/, std::uint64_t /*sectors*/,
                                                  BioOp /*op*/) {
        return std::nullopt;
    }
};

}  // namespace dmemu::emu
