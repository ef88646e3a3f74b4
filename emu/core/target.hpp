// SPDX-License-Identifier: GPL-2.0-only
// The target interface, the emulator's struct target_type / struct dm_target
// (include/linux/device-mapper.h).
//
// A target type is one value: its kernel name, the kernel's version numbers (so `targets` output
// matches), and a constructor. The constructor gets the table arguments and a TargetContext (the
// kernel's `ti`: begin, len, error, get_device, limits) and returns a Target or fails with
// ctx.error set to the kernel's ti->error text and a negative errno.
//
// Control-path hooks are coroutines because some targets talk to the outside world while the
// kernel would sleep (a mirror's userspace log sends CTR, PRESUSPEND, DTR ... and waits). The
// I/O path (map) is a plain call: a bio is not a coroutine.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
#include <vector>

#include "emu/core/device_ref.hpp"
#include "emu/core/module_states.hpp"
#include "emu/io/bio.hpp"

namespace dmemu::transfer {
class KernelEndpoint;
}

namespace dmemu::emu {

class Clock;
class KernelLog;
class Rng;

enum class StatusType { info, table };

// The kernel's DM_MAPIO_* verdicts.
enum class MapVerdict {
    submitted,  // the target owns the bio now and will complete it
    remapped,   // the target pointed the bio at MapResult::remap_to; the core submits it there
    kill,       // complete the bio with -EIO
    requeue,    // hold the bio and retry after the next resume (DM_MAPIO_REQUEUE)
};

struct MapResult {
    MapVerdict verdict;
    BlockDevice* remap_to = nullptr;  // for remapped
    static MapResult submitted() { return {MapVerdict::submitted}; }
    static MapResult remap(BlockDevice* dev) { return {MapVerdict::remapped, dev}; }
    static MapResult kill() { return {MapVerdict::kill}; }
    static MapResult requeue() { return {MapVerdict::requeue}; }
};

struct MessageResult {
    int error = 0;       // 0 or -errno, returned to the ioctl caller
    std::string output;  // text dmsetup prints (DM_DATA_OUT)
};

// What the table needs from the world to build targets: device lookup, the loop, time, chance,
// and the kernel log. One per table, owned by the device mapper.
class TableEnvironment {
public:
    virtual ~TableEnvironment() = default;
    // dm_get_device: `path` is "major:minor" or a path naming a disk or mapped device.
    // Returns nullptr and sets *err (-ENODEV, ...) when the device cannot be found or opened.
    virtual std::shared_ptr<DeviceRef> get_device(std::string_view path, int* err) = 0;
    virtual boost::asio::io_context& context() = 0;
    virtual Clock& clock() = 0;
    virtual Rng& rng() = 0;
    virtual KernelLog& kernel_log() = 0;
    // dm_device_name(): "major:minor" of the device the table is for.
    virtual std::string device_name() const = 0;
    // dm_table_event(): raise the mapped device's event number.
    virtual void table_event() = 0;
    // dm_table_get_mode(): whether the table is read-only.
    virtual bool read_only() const = 0;
    // Every device get_device handed out, deduplicated, newest first (the table's devices list).
    virtual const std::vector<std::shared_ptr<DeviceRef>>& devices() const = 0;
    // The kernel side of the userspace dirty-log connector (dm_consult_userspace), or nullptr
    // when no transport is configured: a userspace log then fails as with no server (-ESRCH).
    virtual transfer::KernelEndpoint* ulog_endpoint() = 0;
    // The state kernel modules keep in statics, one per emulated kernel (module_states.hpp).
    virtual ModuleStates& module_states() = 0;
};

// The kernel's `struct dm_target` fields a constructor fills in.
struct TargetContext {
    TableEnvironment& env;
    Sector begin = 0;
    Sector len = 0;
    std::string error = "Unknown error";  // ti->error
    // ti->max_io_len: the core splits bios so none crosses a multiple of this (0: no limit).
    std::uint64_t max_io_len = 0;
    // ti->num_flush_bios: 0 means flushes are completed by the core without calling map().
    unsigned num_flush_bios = 0;
    unsigned num_discard_bios = 0;
    // io_hints(): optimal I/O size in bytes for read-ahead (blk_limits_io_opt); 0: stack the
    // devices' values.
    std::uint32_t io_opt_bytes = 0;
    // io_hints(): minimum I/O size in bytes (blk_limits_io_min); 0 when the target sets none.
    std::uint32_t io_min_bytes = 0;

    // dm_get_device on behalf of this target: on failure returns nullptr and keeps the errno.
    std::shared_ptr<DeviceRef> get_device(std::string_view path, int* err) {
        return env.get_device(path, err);
    }
};

class Target {
public:
    virtual ~Target() = default;

    // bio.sector is relative to the target's begin (dm_target_offset already applied).
    virtual MapResult map(Bio& bio) = 0;
    virtual boost::asio::awaitable<std::string> status(StatusType type);
    virtual boost::asio::awaitable<MessageResult> message(std::vector<std::string> args);
    virtual bool has_message() const { return false; }
    virtual boost::asio::awaitable<void> presuspend();
    virtual boost::asio::awaitable<void> postsuspend();
    virtual boost::asio::awaitable<int> preresume();
    virtual boost::asio::awaitable<void> resume();
    // The kernel's dtr, for targets that must talk to the world before they go (a userspace log
    // sends DTR). Called exactly once before destruction; the destructor frees the rest.
    virtual boost::asio::awaitable<void> dtr();
    // The kernel's iterate_devices: each device range the target maps onto (start and length in
    // the device's sectors), for the table's device-area checks.
    virtual void iterate_devices(
        const std::function<void(const DeviceRef& dev, Sector start, Sector len)>& fn) const;
    // BlockDevice::file_extent for a range inside the target (sector relative to its begin):
    // a target whose map() would only remap the range onto one device passes the question down.
    // The default, nullopt, keeps the range on the Bio path.
    virtual std::optional<FileExtent> file_extent(Sector /*sector*/, std::uint64_t /*sectors*/,
                                                  BioOp /*op*/) {
        return std::nullopt;
    }
};

struct TargetVersion {
    unsigned major, minor, patch;
};

struct TargetCtrResult {
    std::unique_ptr<Target> target;
    int error = 0;  // negative errno when target is null
    static TargetCtrResult fail(int err) { return {nullptr, err}; }
};

using TargetCtrFn = boost::asio::awaitable<TargetCtrResult> (*)(TargetContext& ctx,
                                                                std::vector<std::string> args);

struct TargetType {
    std::string_view name;
    TargetVersion version;
    TargetCtrFn ctr;
};

}  // namespace dmemu::emu
