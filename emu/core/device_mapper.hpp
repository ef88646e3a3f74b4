// SPDX-License-Identifier: GPL-2.0-only
// The device mapper: every mapped device and disk of one emulator, and the ioctl-level control
// operations on them (drivers/md/dm-ioctl.c). It lives on the emulator's one io_context; every
// request is a coroutine on that loop, so no state here is ever touched by two threads.
//
// Rules kept from the kernel: names (at most 127 bytes, no '/', not "control", "." or "..")
// and uuids (at most 128 bytes) are unique; minors are allocated lowest-free; a load builds the
// new table before destroying any inactive one; resume swaps in the inactive table, resumes it,
// and only then destroys the old live table; remove destroys the inactive table first, then
// presuspends/postsuspends (when not suspended) and destroys the live one; a device that is open
// cannot be removed.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it

#include "emu/core/dm_ioctl.hpp"
#include "emu/core/mapped_device.hpp"
#include "emu/core/target_registry.hpp"

namespace dmemu::emu {

class Clock;
class FaultyDisk;
class IoWorker;
class KernelLog;
class Rng;

// What front ends (the FUSE mount) observe.
struct DeviceEvent {
    // mapped_created: DM_DEV_CREATE (no table yet); mapped_added: its first live table;
    // mapped_changed: a later table swap, a suspend or a resume.
    enum class Kind {
        mapped_created,
        mapped_added,
        mapped_removed,
        mapped_renamed,
        mapped_changed,
        disk_added,
        disk_removed
    };
    Kind kind;
    std::string name;      // current name
    std::string old_name;  // for mapped_renamed
};

class DeviceMapper {
public:
    struct Options {
        std::uint32_t dm_major = 253;  // the kernel allocates it; the oracle guest had 254
        std::uint32_t disk_major = 7;  // loop devices' major, for disks without --devno
        // File disks do their I/O on an IoWorker thread (the daemon) rather than inside submit()
        // on the loop (scenarios: deterministic, and power cuts need it; emu/io/file_disk.hpp).
        bool file_io_worker = false;
    };

    DeviceMapper(boost::asio::io_context& ctx, Clock& clock, Rng& rng, KernelLog& klog,
                 const TargetRegistry& targets, Options options);
    ~DeviceMapper();

    boost::asio::awaitable<DmReply> ioctl(DmRequest req);
    // Called with each request and its reply once the operation is done (the daemon's
    // --ioctl-trace): what a tracer of the dm ioctls would record.
    using IoctlObserver = std::function<void(const DmRequest&, const DmReply&)>;
    void observe_ioctls(IoctlObserver fn) { ioctl_observer_ = std::move(fn); }
    // Destroys every device and disk (daemon shutdown), running every dtr.
    boost::asio::awaitable<void> shutdown();

    // Direct access for front ends and tests (on the loop thread).
    std::shared_ptr<MappedDevice> find_mapped(std::string_view name) const;
    BlockDevice* find_disk(std::string_view name) const;
    // Every disk is a FaultyDisk over its media (a pass-through until a fault is added).
    FaultyDisk* find_faulty_disk(std::string_view name) const;
    // A disk over existing media (a scenario restarting from what survived a power cut): what
    // disk_add does once it has made the media. Returns disk_add's reply.
    DmReply adopt_disk(std::string name, std::optional<DevT> devt, std::string file,
                       std::unique_ptr<BlockDevice> media);
    std::vector<std::string> mapped_names() const;
    std::vector<std::string> disk_names() const;
    std::optional<DevT> disk_devt(std::string_view name) const;
    void subscribe(std::function<void(const DeviceEvent&)> fn) {
        observers_.push_back(std::move(fn));
    }
    // The userspace dirty log's transport; not owned. Tables built afterwards use it.
    void set_ulog_endpoint(transfer::KernelEndpoint* endpoint) { ulog_endpoint_ = endpoint; }
    // Raises a disk's open count (a FUSE open of mnt/disks/NAME).
    void open_disk(std::string_view name, int delta);

    // The kernel modules' statics (module_states.hpp): where a module setting is made, such as
    // kcopyd's copy bandwidth (kcopyd.hpp).
    ModuleStates& module_states() { return module_states_; }
    boost::asio::io_context& context() const { return ctx_; }
    Clock& clock() const { return clock_; }
    KernelLog& kernel_log() const { return klog_; }
    const TargetRegistry& targets() const { return targets_; }
    const Options& options() const { return options_; }

    static constexpr const char* kDriverVersion = "4.47.0";

private:
    struct Disk {
        std::string name;
        DevT devt;
        std::string file;
        std::unique_ptr<FaultyDisk> dev;
        std::uint32_t open_count = 0;
    };
    class TableEnv;
    friend class TableEnv;

    // Each handler is one ioctl.
    boost::asio::awaitable<DmReply> dev_create(const DmRequest& req);
    boost::asio::awaitable<DmReply> dev_remove(const DmRequest& req);
    boost::asio::awaitable<DmReply> remove_all(const DmRequest& req);
    boost::asio::awaitable<DmReply> dev_rename(const DmRequest& req);
    boost::asio::awaitable<DmReply> dev_suspend(const DmRequest& req);
    boost::asio::awaitable<DmReply> dev_status(const DmRequest& req);
    boost::asio::awaitable<DmReply> table_load(const DmRequest& req);
    boost::asio::awaitable<DmReply> table_clear(const DmRequest& req);
    boost::asio::awaitable<DmReply> table_deps(const DmRequest& req);
    boost::asio::awaitable<DmReply> table_status(const DmRequest& req);
    boost::asio::awaitable<DmReply> target_msg(const DmRequest& req);
    boost::asio::awaitable<DmReply> dev_wait(const DmRequest& req);
    DmReply dev_set_geometry(const DmRequest& req);
    DmReply list_devices(const DmRequest& req) const;
    DmReply list_versions(std::string_view only) const;
    DmReply disk_add(const DmRequest& req);
    // disk_faults.cpp:
    DmReply fault_add(const DmRequest& req);
    DmReply fault_list(const DmRequest& req) const;
    DmReply fault_remove(const DmRequest& req);
    DmReply fault_clear(const DmRequest& req);
    // The disks a fault request names: one, or all when the name is empty (`all_when_empty`).
    std::vector<Disk*> fault_targets(const DmRequest& req, bool all_when_empty,
                                     DmReply* error) const;
    DmReply disk_list() const;
    DmReply disk_remove(const DmRequest& req);
    DmReply dmesg(const DmRequest& req) const;

    std::shared_ptr<MappedDevice> lookup(const DmRequest& req) const;
    // The DMERR a payload error carries, and its errno (req.payload_error, after the lookup).
    int payload_failure(const DmRequest& req) const;
    // dm_issue_global_event: create, remove, rename and remove_all (what DM_DEV_ARM_POLL's
    // poll(2) waits for).
    void issue_global_event() { ++global_event_nr_; }
    DmInfo info_of(const MappedDevice& md) const;
    std::uint32_t alloc_minor();
    boost::asio::awaitable<int> destroy_device(std::shared_ptr<MappedDevice> md);
    // dm_get_device's lookup for a table of device `owner`.
    std::shared_ptr<DeviceRef> resolve_device(DevT owner, std::string_view path, int* err);
    void notify(DeviceEvent ev);
    static boost::asio::awaitable<void> destroy_table(std::unique_ptr<Table> t);
    // dm_sync_table, before an old map is destroyed: an RCU grace period, during which kernel
    // threads woken by the new table (kmirrord's first requests) get to run. One loop hop.
    boost::asio::awaitable<void> sync_table();
    // dm_calculate_queue_limits' device_area_is_invalid: every device range a table uses fits.
    int check_device_areas(const MappedDevice& md, const Table& t);

    boost::asio::io_context& ctx_;
    Clock& clock_;
    Rng& rng_;
    KernelLog& klog_;
    const TargetRegistry& targets_;
    Options options_;
    // Declared before the disks: they outlive them. Empty without Options::file_io_worker.
    std::vector<std::unique_ptr<IoWorker>> file_io_;
    std::size_t next_file_io_ = 0;  // the worker the next file disk takes
    std::map<std::string, std::shared_ptr<MappedDevice>> by_name_;  // sorted, like the rb-tree
    std::set<std::uint32_t> minors_;
    std::map<std::string, std::unique_ptr<Disk>> disks_;
    std::vector<std::function<void(const DeviceEvent&)>> observers_;
    IoctlObserver ioctl_observer_;
    boost::asio::awaitable<DmReply> dispatch(DmRequest req);
    transfer::KernelEndpoint* ulog_endpoint_ = nullptr;
    ModuleStates module_states_;  // the kernel modules' statics; logs keep a share of theirs
    std::uint32_t global_event_nr_ = 0;
};

}  // namespace dmemu::emu
