// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/device_mapper.hpp"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <system_error>
#include <thread>

#include "emu/faults/faulty_disk.hpp"
#include "emu/io/file_disk.hpp"
#include "emu/io/io_worker.hpp"
#include "emu/io/memory_disk.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kNameMax = 127;  // DM_NAME_LEN - 1
constexpr std::size_t kUuidMax = 128;  // DM_UUID_LEN - 1
constexpr std::string_view kIoctl = "ioctl";

DmReply error_reply(int err) {
    DmReply r;
    r.error = err;
    return r;
}

// sscanf(path, "%u:%u%c") == 2
std::optional<DevT> parse_devt(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto major = kernel_scan_u(s.substr(0, colon));
    auto minor = kernel_scan_u(s.substr(colon + 1));
    if (!major || !minor || *major > 0xfff || *minor > 0xfffff) return std::nullopt;
    return DevT{static_cast<std::uint32_t>(*major), static_cast<std::uint32_t>(*minor)};
}

}  // namespace

// The table's view of the world (the kernel's `ti->table` and `t->md`).
class DeviceMapper::TableEnv final : public TableEnvironment {
public:
    // The device owns its tables and a table owns its environment: the environment only
    // observes the device (a weak reference, or the pair would keep each other alive).
    TableEnv(DeviceMapper& dm, const std::shared_ptr<MappedDevice>& md, bool read_only)
        : dm_(dm), md_(md), devt_(md->devt()), read_only_(read_only) {}

    std::shared_ptr<DeviceRef> get_device(std::string_view path, int* err) override {
        auto ref = dm_.resolve_device(devt_, path, err);
        if (!ref) return nullptr;
        // find_device(): one reference per device per table, however many targets use it.
        for (auto& have : devices_)
            if (have->devt() == ref->devt()) return have;
        devices_.insert(devices_.begin(), ref);
        return ref;
    }
    asio::io_context& context() override { return dm_.ctx_; }
    Clock& clock() override { return dm_.clock_; }
    Rng& rng() override { return dm_.rng_; }
    KernelLog& kernel_log() override { return dm_.klog_; }
    std::string device_name() const override { return devt_.str(); }
    void table_event() override {
        if (auto md = md_.lock()) md->table_event(this);
    }
    bool read_only() const override { return read_only_; }
    const std::vector<std::shared_ptr<DeviceRef>>& devices() const override { return devices_; }
    transfer::KernelEndpoint* ulog_endpoint() override { return dm_.ulog_endpoint_; }
    ModuleStates& module_states() override { return dm_.module_states_; }

private:
    DeviceMapper& dm_;
    std::weak_ptr<MappedDevice> md_;
    DevT devt_;
    bool read_only_;
    std::vector<std::shared_ptr<DeviceRef>> devices_;
};

DeviceMapper::DeviceMapper(asio::io_context& ctx, Clock& clock, Rng& rng, KernelLog& klog,
                           const TargetRegistry& targets, Options options)
    : ctx_(ctx), clock_(clock), rng_(rng), klog_(klog), targets_(targets), options_(options) {
    if (!options.file_io_worker) return;
    // One thread each, so that each disk's Bios reach its file in order; disks take them in
    // turn, so the legs of a mirror or the stripes of a striped device are written side by side.
    const unsigned n = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    for (unsigned i = 0; i < n; ++i) file_io_.push_back(std::make_unique<IoWorker>());
}

DeviceMapper::~DeviceMapper() {
    // Devices first: their tables hold references that release into the disks.
    by_name_.clear();
    disks_.clear();
}

void DeviceMapper::notify(DeviceEvent ev) {
    for (auto& fn : observers_) fn(ev);
}

asio::awaitable<DmReply> DeviceMapper::ioctl(DmRequest req) {
    if (!ioctl_observer_) co_return co_await dispatch(std::move(req));
    DmRequest copy = req;
    DmReply reply = co_await dispatch(std::move(req));
    if (ioctl_observer_) ioctl_observer_(copy, reply);
    co_return reply;
}

asio::awaitable<DmReply> DeviceMapper::dispatch(DmRequest req) {
    switch (req.cmd) {
        case DmCommand::version: {
            DmReply r;
            r.driver_version = kDriverVersion;
            co_return r;
        }
        case DmCommand::remove_all:
            co_return co_await remove_all(req);
        case DmCommand::list_devices:
            co_return list_devices(req);
        case DmCommand::dev_create:
            co_return co_await dev_create(req);
        case DmCommand::dev_remove:
            co_return co_await dev_remove(req);
        case DmCommand::dev_rename:
            co_return co_await dev_rename(req);
        case DmCommand::dev_suspend:
            co_return co_await dev_suspend(req);
        case DmCommand::dev_status:
            co_return co_await dev_status(req);
        case DmCommand::table_load:
            co_return co_await table_load(req);
        case DmCommand::table_clear:
            co_return co_await table_clear(req);
        case DmCommand::table_deps:
            co_return co_await table_deps(req);
        case DmCommand::table_status:
            co_return co_await table_status(req);
        case DmCommand::list_versions:
            co_return list_versions({});
        case DmCommand::get_target_version:
            co_return list_versions(req.name);
        case DmCommand::target_msg:
            co_return co_await target_msg(req);
        case DmCommand::dev_wait:
            co_return co_await dev_wait(req);
        case DmCommand::dev_set_geometry:
            co_return dev_set_geometry(req);
        case DmCommand::dev_arm_poll: {
            DmReply r;
            r.global_event_nr = global_event_nr_;
            co_return r;
        }
        case DmCommand::disk_add:
            co_return disk_add(req);
        case DmCommand::disk_list:
            co_return disk_list();
        case DmCommand::disk_remove:
            co_return disk_remove(req);
        case DmCommand::dmesg:
            co_return dmesg(req);
        case DmCommand::fault_add:
            co_return fault_add(req);
        case DmCommand::fault_list:
            co_return fault_list(req);
        case DmCommand::fault_remove:
            co_return fault_remove(req);
        case DmCommand::fault_clear:
            co_return fault_clear(req);
    }
    co_return error_reply(-EINVAL);
}

std::shared_ptr<MappedDevice> DeviceMapper::find_mapped(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
}

BlockDevice* DeviceMapper::find_disk(std::string_view name) const { return find_faulty_disk(name); }

FaultyDisk* DeviceMapper::find_faulty_disk(std::string_view name) const {
    auto it = disks_.find(std::string(name));
    return it == disks_.end() ? nullptr : it->second->dev.get();
}

std::vector<std::string> DeviceMapper::mapped_names() const {
    std::vector<std::string> out;
    for (const auto& [name, md] : by_name_) out.push_back(name);
    return out;
}

std::vector<std::string> DeviceMapper::disk_names() const {
    std::vector<std::string> out;
    for (const auto& [name, d] : disks_) out.push_back(name);
    return out;
}

std::optional<DevT> DeviceMapper::disk_devt(std::string_view name) const {
    auto it = disks_.find(std::string(name));
    if (it == disks_.end()) return std::nullopt;
    return it->second->devt;
}

void DeviceMapper::open_disk(std::string_view name, int delta) {
    if (auto it = disks_.find(std::string(name)); it != disks_.end())
        it->second->open_count = static_cast<std::uint32_t>(int(it->second->open_count) + delta);
}

std::shared_ptr<MappedDevice> DeviceMapper::lookup(const DmRequest& req) const {
    // __find_device_hash_cell: the uuid when there is one, else the name, else the devno; a
    // second key beside the one used is a malformed request and finds nothing.
    if (!req.uuid.empty()) {
        if (!req.name.empty() || req.devt) {
            klog_.err(kIoctl, "Invalid ioctl structure: uuid {}, name {}, dev {:x}", req.uuid,
                      req.name, req.devt ? req.devt->huge_encode() : 0);
            return nullptr;
        }
        for (const auto& [n, md] : by_name_)
            if (md->uuid() == req.uuid) return md;
        return nullptr;
    }
    if (!req.name.empty()) {
        if (req.devt) {
            klog_.err(kIoctl, "Invalid ioctl structure: name {}, dev {:x}", req.name,
                      req.devt->huge_encode());
            return nullptr;
        }
        return find_mapped(req.name);
    }
    if (req.devt) {
        for (const auto& [n, md] : by_name_)
            if (md->devt() == *req.devt) return md;
    }
    return nullptr;
}

int DeviceMapper::payload_failure(const DmRequest& req) const {
    if (req.payload_error != 0 && !req.payload_error_text.empty())
        klog_.err(kIoctl, "{}", req.payload_error_text);
    return req.payload_error;
}

DmInfo DeviceMapper::info_of(const MappedDevice& md) const {
    DmInfo i;
    i.exists = true;
    i.name = md.name();
    i.uuid = md.uuid();
    i.devt = md.devt();
    i.suspended = md.suspended();
    i.live_table = md.live() != nullptr;
    i.inactive_table = md.inactive() != nullptr;
    i.read_only = md.read_only();
    i.open_count = md.open_count();
    i.event_nr = md.event_nr();
    i.target_count = md.live() ? static_cast<std::uint32_t>(md.live()->slots().size()) : 0;
    if (const Table* t = md.inactive()) {
        i.inactive_target_count = static_cast<std::uint32_t>(t->slots().size());
        i.inactive_read_only = t->env().read_only();
    }
    if (md.live()) i.read_ahead = md.read_ahead_sectors();
    return i;
}

std::uint32_t DeviceMapper::alloc_minor() {
    std::uint32_t m = 0;
    while (minors_.count(m) != 0) ++m;
    minors_.insert(m);
    return m;
}

std::shared_ptr<DeviceRef> DeviceMapper::resolve_device(DevT owner, std::string_view path,
                                                        int* err) {
    std::optional<DevT> devt = parse_devt(path);
    if (!devt) {
        // dm_get_dev_t / lookup_bdev: a path naming a disk (last component) or a mapped device.
        const auto slash = path.rfind('/');
        const std::string_view last =
            slash == std::string_view::npos ? path : path.substr(slash + 1);
        if (slash != std::string_view::npos) {
            const std::string_view dir = path.substr(0, slash + 1);
            if (dir == "/dev/mapper/") {
                if (auto md = find_mapped(last)) devt = md->devt();
            } else if (last.rfind("dm-", 0) == 0) {
                if (auto n = kernel_scan_ull(last.substr(3)))
                    for (const auto& [name, md] : by_name_)
                        if (md->devt().minor == *n) devt = md->devt();
            }
            if (!devt)
                if (auto it = disks_.find(std::string(last)); it != disks_.end())
                    devt = it->second->devt;
        }
        if (!devt) {
            *err = -ENODEV;
            return nullptr;
        }
    }
    if (*devt == owner) {
        *err = -EINVAL;  // a table may not map its own device
        return nullptr;
    }
    for (auto& [name, d] : disks_) {
        if (d->devt != *devt) continue;
        Disk* disk = d.get();
        ++disk->open_count;
        return std::make_shared<DeviceRef>(*disk->dev, disk->devt, disk->name,
                                           [disk] { --disk->open_count; });
    }
    for (auto& [name, md] : by_name_) {
        if (md->devt() != *devt) continue;
        md->open();
        std::weak_ptr<MappedDevice> weak = md;
        return std::make_shared<DeviceRef>(*md, md->devt(), md->disk_name(), [weak] {
            if (auto m = weak.lock()) m->close();
        });
    }
    *err = -ENXIO;  // blkdev_get_by_dev on a number nothing answers to
    return nullptr;
}

int DeviceMapper::check_device_areas(const MappedDevice& md, const Table& t) {
    int r = 0;
    for (const auto& slot : t.slots()) {
        // dm_calculate_queue_limits: the target's io_hints over its devices' stacked limits,
        // then blk_stack_limits, which finds io_min (raised to the physical block size by
        // blk_limits_io_min) or io_opt not a multiple of the physical block size.
        std::uint32_t pbs = 512;
        slot.target->iterate_devices([&](const DeviceRef& dev, Sector, Sector) {
            pbs = std::max(pbs, dev.device().physical_block_size());
        });
        const std::uint32_t io_min = std::max(slot.io_min_bytes, pbs);
        const bool misaligned = io_min % pbs != 0 || slot.io_opt_bytes % pbs != 0;
        if (misaligned)
            klog_.warn(
                "table",
                "{}: adding target device (start sect {} len {}) caused an alignment inconsistency",
                md.devt().str(), slot.begin, slot.len);
        slot.target->iterate_devices([&](const DeviceRef& dev, Sector start, Sector len) {
            const Sector dev_size = dev.device().size_sectors();
            if (start >= dev_size || start + len > dev_size) {
                klog_.warn("table", "{}: {} too small for target: start={}, len={}, dev_size={}",
                           md.devt().str(), dev.disk_name(), start, len, dev_size);
                r = -EINVAL;
            }
        });
        if (r != 0) break;
    }
    return r;
}

asio::awaitable<void> DeviceMapper::sync_table() { co_await asio::post(ctx_, asio::use_awaitable); }

asio::awaitable<void> DeviceMapper::destroy_table(std::unique_ptr<Table> t) {
    if (t) co_await t->destroy();
}

asio::awaitable<DmReply> DeviceMapper::dev_create(const DmRequest& req) {
    if (req.name.empty() || req.name.size() > kNameMax || req.uuid.size() > kUuidMax)
        co_return error_reply(-EINVAL);
    if (req.name.find('/') != std::string::npos) {
        klog_.err(kIoctl, "invalid device name");
        co_return error_reply(-EINVAL);
    }
    // dm_create: DM_PERSISTENT_DEV_FLAG asks for the devno's minor (the major is always dm's);
    // a minor in use is -EBUSY, one past MINORMASK -EINVAL.
    std::uint32_t minor = 0;
    if (req.devt) {
        minor = req.devt->minor;
        if (minor >= (1u << 20)) co_return error_reply(-EINVAL);
        if (minors_.count(minor) != 0) co_return error_reply(-EBUSY);
    }
    // dm_hash_insert: a taken name or uuid is -EBUSY, without a message.
    if (by_name_.count(req.name) != 0) co_return error_reply(-EBUSY);
    if (!req.uuid.empty())
        for (const auto& [n, md] : by_name_)
            if (md->uuid() == req.uuid) co_return error_reply(-EBUSY);
    if (req.devt)
        minors_.insert(minor);
    else
        minor = alloc_minor();
    const DevT devt{options_.dm_major, minor};
    auto md = std::make_shared<MappedDevice>(ctx_, req.name, req.uuid, devt);
    by_name_.emplace(req.name, md);
    issue_global_event();
    notify({DeviceEvent::Kind::mapped_created, md->name(), {}});
    DmReply r;
    r.info = info_of(*md);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::table_load(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    if (const int e = payload_failure(req); e != 0) co_return error_reply(e);
    auto guard = co_await md->lock_mutex().lock();
    auto env = std::make_unique<TableEnv>(*this, md, req.read_only);
    auto built = co_await Table::build(std::move(env), targets_, req.targets);
    if (!built.table) co_return error_reply(built.error);
    // dm_setup_md_queue on the first load computes the queue limits (device areas) at once;
    // later loads are checked when they are swapped in.
    if (!md->live() && !md->inactive()) {
        if (int e = check_device_areas(*md, *built.table); e != 0) {
            klog_.err("core", "Cannot calculate initial queue limits");
            klog_.err(kIoctl, "unable to set up device queue for new table.");
            co_await built.table->destroy();
            co_return error_reply(e);
        }
    }
    if (by_name_.count(md->name()) == 0 || by_name_.at(md->name()) != md) {
        klog_.err(kIoctl, "device has been removed from the dev hash table.");
        co_await built.table->destroy();
        co_return error_reply(-ENXIO);
    }
    // The new table is in place before the old inactive one is destroyed.
    auto old = md->take_inactive();
    md->set_inactive(std::move(built.table));
    // The first load registers the device's gendisk (dm_setup_md_queue): it shows in sysfs.
    notify({DeviceEvent::Kind::mapped_changed, md->name(), {}});
    if (old) co_await sync_table();
    co_await destroy_table(std::move(old));
    DmReply r;
    r.info = info_of(*md);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::table_clear(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    auto guard = co_await md->lock_mutex().lock();
    co_await destroy_table(md->take_inactive());
    DmReply r;
    r.info = info_of(*md);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::dev_suspend(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    auto guard = co_await md->lock_mutex().lock();
    if (req.suspend) {
        // do_suspend: nothing to do when already suspended.
        co_await md->suspend(req.noflush);
        notify({DeviceEvent::Kind::mapped_changed, md->name(), {}});
    } else if (md->inactive()) {
        // do_resume with a new map: suspend if needed, swap, resume, then destroy the old map.
        const bool was_live = md->live() != nullptr;
        co_await md->suspend(req.noflush);
        if (int e = check_device_areas(*md, *md->inactive()); e != 0) {
            // dm_swap_table failed: do_resume destroys the new map; the device stays suspended.
            co_await destroy_table(md->take_inactive());
            co_return error_reply(e);
        }
        auto old = md->swap_tables();
        if (const int e = co_await md->resume(); e != 0) {
            co_await destroy_table(std::move(old));
            co_return error_reply(e);
        }
        co_await sync_table();
        co_await destroy_table(std::move(old));
        notify({was_live ? DeviceEvent::Kind::mapped_changed : DeviceEvent::Kind::mapped_added,
                md->name(),
                {}});
    } else if (const int e = co_await md->resume(); e != 0) {
        co_return error_reply(e);
    } else {
        notify({DeviceEvent::Kind::mapped_changed, md->name(), {}});
    }
    DmReply r;
    r.info = info_of(*md);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::dev_status(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    DmReply r;
    r.info = info_of(*md);
    if (req.inactive)
        r.info.target_count =
            md->inactive() ? static_cast<std::uint32_t>(md->inactive()->slots().size()) : 0;
    co_return r;
}

asio::awaitable<int> DeviceMapper::destroy_device(std::shared_ptr<MappedDevice> md) {
    auto guard = co_await md->lock_mutex().lock();
    if (md->open_count() > 0) co_return -EBUSY;
    // __hash_remove: unlink, raise an event on the live table, hand back the inactive table.
    by_name_.erase(md->name());
    if (md->live()) md->raise_event();
    co_await destroy_table(md->take_inactive());
    // __dm_destroy: a device that is not suspended gets presuspend + postsuspend first.
    co_await md->suspend(false);
    co_await destroy_table(md->take_live());
    minors_.erase(md->devt().minor);
    issue_global_event();
    notify({DeviceEvent::Kind::mapped_removed, md->name(), {}});
    co_return 0;
}

asio::awaitable<DmReply> DeviceMapper::dev_remove(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    DmInfo info = info_of(*md);
    if (const int e = co_await destroy_device(md); e != 0) co_return error_reply(e);
    DmReply r;
    r.info = info;
    r.info.exists = false;
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::remove_all(const DmRequest&) {
    // dm_hash_remove_all(keep_open_devices = true): passes until nothing more can go, since
    // removing an upper device closes the lower ones.
    std::size_t skipped = 0;
    for (bool progress = true; progress;) {
        progress = false;
        skipped = 0;
        for (const auto& name : mapped_names()) {
            auto md = find_mapped(name);
            if (!md) continue;
            if (md->open_count() > 0) {
                ++skipped;
                continue;
            }
            if (co_await destroy_device(md) == 0) progress = true;
        }
    }
    if (skipped > 0) klog_.warn(kIoctl, "remove_all left {} open device(s)", skipped);
    co_return DmReply{};
}

asio::awaitable<DmReply> DeviceMapper::dev_rename(const DmRequest& req) {
    const std::string& new_value = req.new_name;
    if (new_value.empty() || new_value.size() > (req.set_uuid ? kUuidMax : kNameMax)) {
        klog_.warn(kIoctl, "Invalid new mapped device name or uuid string supplied.");
        co_return error_reply(-EINVAL);
    }
    if (!req.set_uuid && new_value.find('/') != std::string::npos) {
        klog_.err(kIoctl, "invalid device name");
        co_return error_reply(-EINVAL);
    }
    // dm_hash_rename: the new name or uuid must be free, checked before the old name is found.
    const bool taken = req.set_uuid ? [&] {
        for (const auto& [n, md] : by_name_)
            if (md->uuid() == new_value) return true;
        return false;
    }()
                                    : by_name_.count(new_value) != 0;
    if (taken) {
        klog_.warn(kIoctl, "Unable to change {} on mapped device {} to one that already exists: {}",
                   req.set_uuid ? "uuid" : "name", req.name, new_value);
        co_return error_reply(-EBUSY);
    }
    // dm_hash_rename finds the device by its name alone.
    auto md = find_mapped(req.name);
    if (!md) {
        klog_.err(kIoctl, "Unable to rename non-existent device, {} to {}{}", req.name,
                  req.set_uuid ? "uuid " : "", new_value);
        co_return error_reply(-ENXIO);
    }
    if (req.set_uuid && !md->uuid().empty()) {
        klog_.warn(
            kIoctl,
            "Unable to change uuid of mapped device {} to {} because uuid is already set to {}",
            md->name(), new_value, md->uuid());
        co_return error_reply(-EINVAL);
    }
    const std::string old_name = md->name();
    if (req.set_uuid) {
        md->set_uuid(new_value);
        notify({DeviceEvent::Kind::mapped_changed, md->name(), {}});
    } else {
        by_name_.erase(old_name);
        md->set_name(new_value);
        by_name_.emplace(new_value, md);
        notify({DeviceEvent::Kind::mapped_renamed, new_value, old_name});
    }
    if (md->live()) md->raise_event();
    issue_global_event();
    DmReply r;
    r.info = info_of(*md);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::table_deps(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    DmReply r;
    r.info = info_of(*md);
    if (Table* t = req.inactive ? md->inactive() : md->live())
        for (const auto& dev : t->devices()) r.deps.push_back(dev->devt());
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::table_status(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    DmReply r;
    r.info = info_of(*md);
    Table* t = req.inactive ? md->inactive() : md->live();
    if (t) {
        const Table::Reader reading = t->read();  // a swap may run while a status waits
        const StatusType type = req.status_table ? StatusType::table : StatusType::info;
        for (const auto& slot : t->slots()) {
            std::string params = co_await slot.target->status(type);
            r.targets.push_back(DmTargetLine{slot.begin, slot.len, std::string(slot.type->name),
                                             std::move(params)});
        }
    }
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::target_msg(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    if (const int e = payload_failure(req); e != 0) co_return error_reply(e);
    const std::vector<std::string> argv = split_args(req.message);
    if (argv.empty()) {
        klog_.err(kIoctl, "Empty message received.");
        co_return error_reply(-EINVAL);
    }
    // message_for_md: '@' words are dm core's (statistics, deferred remove); dmemu has none of
    // dm-stats, and no device is ever marked for deferred removal.
    if (argv[0][0] == '@') {
        if (strcasecmp(argv[0].c_str(), "@cancel_deferred_remove") == 0) {
            if (argv.size() != 1) {
                klog_.err(kIoctl, "Invalid arguments for @cancel_deferred_remove");
                co_return error_reply(-EINVAL);
            }
            co_return error_reply(-ENXIO);  // dm_cancel_deferred_remove: not marked
        }
        klog_.err(kIoctl, "Unsupported message sent to DM core: {}", argv[0]);
        co_return error_reply(-EINVAL);
    }
    Table* t = md->live();
    // target_message with no live table leaves r at message_for_md's 2, which the ioctl
    // returns as it is, with nothing copied back.
    if (!t) co_return error_reply(2);
    const Table::Slot* slot = t->find(req.sector);
    if (!slot) {
        klog_.err(kIoctl, "Target message sector outside device.");
        co_return error_reply(-EINVAL);
    }
    if (!slot->target->has_message()) {
        klog_.err(kIoctl, "Target type does not support messages");
        co_return error_reply(-EINVAL);
    }
    const Table::Reader reading = t->read();
    MessageResult m = co_await slot->target->message(argv);
    DmReply r = error_reply(m.error);
    r.info = info_of(*md);
    r.data_out = m.error == 0 && !m.output.empty();
    r.message_output = std::move(m.output);
    co_return r;
}

asio::awaitable<DmReply> DeviceMapper::dev_wait(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) co_return error_reply(-ENXIO);
    co_await md->wait_event(req.event_nr);
    // The waker's status comes with the answer, "to save an ioctl" (dev_wait).
    DmRequest status = req;
    status.cmd = DmCommand::table_status;
    status.name.clear();
    status.uuid.clear();
    status.devt = md->devt();
    DmReply r = co_await table_status(status);
    if (r.error == -ENXIO) {  // removed while waiting: the device object still answers
        r = DmReply{};
        r.info = info_of(*md);
    }
    co_return r;
}

DmReply DeviceMapper::dev_set_geometry(const DmRequest& req) {
    auto md = lookup(req);
    if (!md) return error_reply(-ENXIO);
    if (const int e = payload_failure(req); e != 0) return error_reply(e);
    // sscanf("%lu %lu %lu %lu%c") == 4: four unsigned longs and nothing after the last.
    std::vector<std::uint64_t> v;
    std::string_view rest = req.message;
    bool ok = true;
    for (int i = 0; i < 4 && ok; ++i) {
        const auto start = rest.find_first_not_of(" \t\n\v\f\r");
        if (start == std::string_view::npos) {
            ok = false;
            break;
        }
        rest.remove_prefix(start);
        auto end = rest.find_first_of(" \t\n\v\f\r");
        auto n = kernel_scan_ull(rest.substr(0, end));
        if (!n)
            ok = false;
        else
            v.push_back(*n);
        rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
    }
    if (!ok || !rest.empty()) {
        klog_.err(kIoctl, "Unable to interpret geometry settings.");
        return error_reply(-EINVAL);
    }
    if (v[0] > 65535 || v[1] > 255 || v[2] > 255) {
        klog_.err(kIoctl, "Geometry exceeds range limits.");
        return error_reply(-EINVAL);
    }
    // dm_set_geometry: the start must lie within cylinders * heads * sectors.
    if (v[3] > v[0] * v[1] * v[2]) {
        klog_.err("core", "Start sector is beyond the geometry limits.");
        return error_reply(-EINVAL);
    }
    md->set_geometry({static_cast<std::uint32_t>(v[0]), static_cast<std::uint32_t>(v[1]),
                      static_cast<std::uint32_t>(v[2]), v[3]});
    DmReply r;
    r.info = info_of(*md);
    return r;
}

DmReply DeviceMapper::list_devices(const DmRequest& req) const {
    // list_devices' filter_device: the request's name and uuid are prefixes.
    DmReply r;
    for (const auto& [name, md] : by_name_) {
        if (name.compare(0, req.name.size(), req.name) != 0) continue;
        if (md->uuid().compare(0, req.uuid.size(), req.uuid) != 0) continue;
        r.names.push_back({name, md->uuid(), md->devt(), md->event_nr()});
    }
    return r;
}

DmReply DeviceMapper::list_versions(std::string_view only) const {
    DmReply r;
    for (const auto* t : targets_.list())
        if (only.empty() || t->name == only)
            r.versions.push_back({std::string(t->name), t->version});
    // get_target_version: an unknown target type is -EINVAL.
    if (!only.empty() && r.versions.empty()) r.error = -EINVAL;
    return r;
}

DmReply DeviceMapper::disk_add(const DmRequest& req) {
    std::unique_ptr<BlockDevice> media;
    try {
        if (!req.file.empty())
            media = std::make_unique<FileDisk>(
                ctx_, req.file, req.size_sectors,
                file_io_.empty() ? nullptr : file_io_[next_file_io_++ % file_io_.size()].get());
        else if (req.size_sectors > 0)
            media = std::make_unique<MemoryDisk>(ctx_, req.size_sectors);
        else {
            DmReply r = error_reply(-EINVAL);
            r.detail = "disk: a size or a file is required";
            return r;
        }
    } catch (const std::system_error& e) {
        DmReply r = error_reply(-e.code().value());
        r.detail = std::string("disk: ") + e.what();
        return r;
    }
    return adopt_disk(req.name, req.devt, req.file, std::move(media));
}

DmReply DeviceMapper::adopt_disk(std::string name, std::optional<DevT> wanted, std::string file,
                                 std::unique_ptr<BlockDevice> media) {
    if (name.empty() || name.find('/') != std::string::npos || name.size() > kNameMax) {
        DmReply r = error_reply(-EINVAL);
        r.detail = "disk: invalid name '" + name + "'";
        return r;
    }
    if (disks_.count(name) != 0) {
        DmReply r = error_reply(-EEXIST);
        r.detail = "disk: '" + name + "' already exists";
        return r;
    }
    DevT devt;
    if (wanted) {
        devt = *wanted;
        auto clash = [&] {
            for (const auto& [n, d] : disks_)
                if (d->devt == devt) return true;
            return devt.major == options_.dm_major;
        };
        if (clash()) {
            DmReply r = error_reply(-EBUSY);
            r.detail = "disk: device number " + devt.str() + " is in use";
            return r;
        }
    } else {
        devt = DevT{options_.disk_major, 0};
        for (bool again = true; again;) {
            again = false;
            for (const auto& [n, d] : disks_)
                if (d->devt == devt) {
                    ++devt.minor;
                    again = true;
                }
        }
    }
    auto disk = std::make_unique<Disk>();
    disk->name = name;
    disk->devt = devt;
    disk->file = std::move(file);
    disk->dev = std::make_unique<FaultyDisk>(name, std::move(media), clock_, rng_);
    // A fault that fires is an event worth a line in the daemon's log, as a kernel would print
    // an I/O error (scenarios trace them through their own subscription).
    disk->dev->subscribe([](const FaultEvent& e) { spdlog::info("fault: {}", to_string(e)); });
    disks_.emplace(name, std::move(disk));
    notify({DeviceEvent::Kind::disk_added, name, {}});
    return disk_list();
}

DmReply DeviceMapper::disk_list() const {
    DmReply r;
    for (const auto& [name, d] : disks_)
        r.disks.push_back({name, d->devt, d->dev->size_sectors(), d->file, d->open_count});
    return r;
}

DmReply DeviceMapper::disk_remove(const DmRequest& req) {
    auto it = disks_.find(req.name);
    if (it == disks_.end()) {
        DmReply r = error_reply(-ENXIO);
        r.detail = "disk: no disk named '" + req.name + "'";
        return r;
    }
    if (it->second->open_count > 0) {
        DmReply r = error_reply(-EBUSY);
        r.detail = "disk: '" + req.name + "' is in use";
        return r;
    }
    disks_.erase(it);
    notify({DeviceEvent::Kind::disk_removed, req.name, {}});
    return DmReply{};
}

DmReply DeviceMapper::dmesg(const DmRequest& req) const {
    DmReply r;
    for (auto& l : klog_.since(req.after_seq)) r.kernel_lines.push_back({l.seq, std::move(l.text)});
    return r;
}

asio::awaitable<void> DeviceMapper::shutdown() {
    DmRequest all;
    all.cmd = DmCommand::remove_all;
    co_await remove_all(all);
    // Whatever is still open (held by a FUSE client) goes anyway at shutdown.
    for (const auto& name : mapped_names()) {
        auto md = find_mapped(name);
        by_name_.erase(name);
        co_await destroy_table(md->take_inactive());
        co_await destroy_table(md->take_live());
    }
    disks_.clear();
}

}  // namespace dmemu::emu
