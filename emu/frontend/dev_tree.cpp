// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/dev_tree.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>

#include "emu/core/device_mapper.hpp"

namespace dmemu::emu {

namespace fs = std::filesystem;

namespace {

// /proc/devices' names for the majors disks are given (Documentation/admin-guide/devices.txt).
std::string block_major_name(std::uint32_t major) {
    switch (major) {
        case 1:
            return "ramdisk";
        case 7:
            return "loop";
        case 8:
            return "sd";
        case 9:
            return "md";
        case 259:
            return "blkext";
        default:
            return "dmemu-disk";
    }
}

}  // namespace

std::string DevTree::proc_devices(std::uint32_t dm_major,
                                  const std::vector<std::uint32_t>& disk_majors) {
    std::map<std::uint32_t, std::string> block;
    for (auto m : disk_majors) block.emplace(m, block_major_name(m));
    block.emplace(dm_major, "device-mapper");
    std::string out = "Character devices:\n  1 mem\n  5 /dev/tty\n 10 misc\n\nBlock devices:\n";
    for (const auto& [major, name] : block) out += fmt::format("{:>3} {}\n", major, name);
    return out;
}

struct DevTree::State {
    DeviceMapper& dm;
    fs::path dir;
    std::map<std::string, DevT> mapped;                   // name -> devt, to clean up on removal
    std::map<std::string, DevT> disks;                    // the same for disks
    std::map<std::string, const Table*> live;             // name -> the live table last seen
    std::map<std::string, std::set<std::string>> slaves;  // kname -> knames below it

    fs::path sys_block(const std::string& kname) const { return dir / "sys/block" / kname; }

    // What this tree last put at each path (a file's text, or "->" and a link's target), and the
    // directories it made: a refresh rewrites only what changed. Every create, load and resume
    // refreshes a device, and its files rewritten each time cost a create of 1,000 devices
    // most of its time (tools/bench/scale.sh).
    std::map<std::string, std::string> written;
    std::set<std::string> made_dirs;

    void make_parent(const fs::path& path) {
        const std::string parent = path.parent_path().string();
        if (made_dirs.count(parent)) return;
        std::error_code ec;
        fs::create_directories(parent, ec);
        made_dirs.insert(parent);
    }
    // Replaces `path` with a file holding `text`, by rename.
    void put_file(const fs::path& path, const std::string& text) {
        auto& last = written[path.string()];
        if (last == text && !last.empty()) return;
        make_parent(path);
        std::error_code ec;
        const fs::path tmp = path.string() + ".new";
        {
            std::ofstream f(tmp, std::ios::trunc);
            f << text;
        }
        fs::rename(tmp, path, ec);
        if (ec) spdlog::warn("devtree: cannot write {}: {}", path.string(), ec.message());
        last = ec ? std::string() : text;
    }
    // Replaces `path` with a symlink to `target`, by rename.
    void put_link(const fs::path& path, const std::string& target) {
        auto& last = written[path.string()];
        if (last == "->" + target) return;
        make_parent(path);
        std::error_code ec;
        const fs::path tmp = path.string() + ".new";
        fs::remove(tmp, ec);
        fs::create_symlink(target, tmp, ec);
        if (!ec) fs::rename(tmp, path, ec);
        if (ec) spdlog::warn("devtree: cannot link {}: {}", path.string(), ec.message());
        last = ec ? std::string() : "->" + target;
    }
    void make_dir(const fs::path& path) {
        if (made_dirs.count(path.string())) return;
        std::error_code ec;
        fs::create_directories(path, ec);
        made_dirs.insert(path.string());
    }
    void remove(const fs::path& path) {
        std::error_code ec;
        fs::remove_all(path, ec);
        forget_below(written, path.string());
        forget_below(made_dirs, path.string());
    }
    // Drops `key` and every key below it from a sorted container: below "a/b" is the range
    // ["a/b/", "a/b0") ('0' follows '/'), which "a/b-c" and "a/b1" sort outside of.
    template <typename Sorted>
    static void forget_below(Sorted& c, const std::string& key) {
        c.erase(key);
        c.erase(c.lower_bound(key + "/"), c.lower_bound(key + "0"));
    }
    static std::string node(DevT d) { return fmt::format("b:{}:{}", d.major, d.minor); }

    void write_proc() {
        std::vector<std::uint32_t> majors;
        for (const auto& name : dm.disk_names())
            if (auto d = dm.disk_devt(name)) majors.push_back(d->major);
        put_file(dir / "proc/devices", proc_devices(dm.options().dm_major, majors));
    }

    // queue/: the limits, and read_ahead_kb (the same value as bdi/read_ahead_kb).
    void write_queue(const std::string& kname, const BlockDevice& dev, std::uint32_t io_min) {
        const fs::path q = sys_block(kname) / "queue";
        const std::uint32_t pbs = dev.physical_block_size();
        put_file(q / "logical_block_size", "512\n");
        put_file(q / "physical_block_size", fmt::format("{}\n", pbs));
        put_file(q / "minimum_io_size", fmt::format("{}\n", std::max(pbs, io_min)));
        put_file(q / "optimal_io_size", fmt::format("{}\n", dev.io_opt_bytes()));
        // 0 says "no discard" (what BLKDISCARD checks first); dmemu's discards have no size
        // limit, shown as the largest whole-sector value of the kernel's 32-bit sector count.
        put_file(q / "discard_max_bytes", dev.supports_discard() ? "4294966784\n" : "0\n");
        put_link(q / "read_ahead_kb", "../bdi/read_ahead_kb");
    }

    void common(const std::string& kname, DevT devt, Sector size, bool ro) {
        const fs::path b = sys_block(kname);
        put_file(b / "dev", fmt::format("{}:{}\n", devt.major, devt.minor));
        put_file(b / "size", fmt::format("{}\n", size));
        put_file(b / "ro", ro ? "1\n" : "0\n");
        put_file(b / "removable", "0\n");
        make_dir(b / "holders");
        make_dir(b / "slaves");
        put_link(dir / "sys/dev/block" / fmt::format("{}:{}", devt.major, devt.minor),
                 "../../block/" + kname);
    }

    // slaves/ of `kname` and the holders/ entries they imply.
    void set_slaves(const std::string& kname, std::set<std::string> now) {
        std::set<std::string>& before = slaves[kname];
        for (const auto& lower : before)
            if (!now.count(lower)) {
                remove(sys_block(kname) / "slaves" / lower);
                remove(sys_block(lower) / "holders" / kname);
            }
        for (const auto& lower : now)
            if (!before.count(lower)) {
                put_link(sys_block(kname) / "slaves" / lower, "../../" + lower);
                if (fs::exists(sys_block(lower)))
                    put_link(sys_block(lower) / "holders" / kname, "../../" + kname);
            }
        before = std::move(now);
    }

    void refresh_mapped(const std::string& name) {
        auto md = dm.find_mapped(name);
        if (!md) return;
        const DevT devt = md->devt();
        const std::string kname = md->disk_name();
        // The kernel adds a mapped device's gendisk (dev/dm-N, sys/block/dm-N) at its first
        // table load, not at DM_DEV_CREATE: until then only the name is known.
        if (!mapped.count(name) && !md->live() && !md->inactive()) return;
        mapped[name] = devt;
        put_link(dir / "dev" / kname, node(devt));
        common(kname, devt, md->size_sectors(), md->read_only());
        const fs::path b = sys_block(kname);
        put_file(b / "dm/name", name + "\n");
        put_file(b / "dm/uuid", md->uuid() + "\n");
        put_file(b / "dm/suspended", md->suspended() ? "1\n" : "0\n");
        const fs::path block_link =
            dir / "dev/block" / fmt::format("{}:{}", devt.major, devt.minor);
        // The kernel sets read-ahead when a table goes live (disk_update_readahead); between
        // swaps it is whatever BLKRASET (the library writing read_ahead_kb) made it.
        const Table* t = md->live();
        if (!live.count(name) || live[name] != t) {
            put_file(b / "bdi/read_ahead_kb", fmt::format("{}\n", md->read_ahead_sectors() / 2));
            write_queue(kname, *md, t ? t->io_min_bytes() : 0);
            live[name] = t;
        }
        // A table holds its devices from its load (dm_get_device -> bd_link_disk_holder) until
        // it is destroyed, live or not: holders/ and slaves/ follow both slots.
        std::set<std::string> lower;
        for (const Table* held : {t, static_cast<const Table*>(md->inactive())})
            if (held)
                for (const auto& d : held->devices()) lower.insert(d->disk_name());
        if (t)
            put_link(block_link, "../../mnt/mapper/" + name);
        else
            remove(block_link);
        set_slaves(kname, std::move(lower));
    }

    void refresh_disk(const std::string& name) {
        const auto devt = dm.disk_devt(name);
        const BlockDevice* dev = dm.find_disk(name);
        if (!devt || !dev) return;
        disks[name] = *devt;
        put_link(dir / "dev" / name, node(*devt));
        put_link(dir / "dev/block" / fmt::format("{}:{}", devt->major, devt->minor),
                 "../../mnt/disks/" + name);
        common(name, *devt, dev->size_sectors(), false);
        put_file(sys_block(name) / "bdi/read_ahead_kb", "128\n");
        write_queue(name, *dev, 0);
        write_proc();
    }

    void forget(const std::string& kname, DevT devt, const std::string& dev_entry) {
        set_slaves(kname, {});
        slaves.erase(kname);
        const std::string mm = fmt::format("{}:{}", devt.major, devt.minor);
        remove(dir / "dev" / dev_entry);
        remove(dir / "dev/block" / mm);
        remove(dir / "sys/dev/block" / mm);
        remove(sys_block(kname));
    }

    void on_event(const DeviceEvent& ev) {
        using K = DeviceEvent::Kind;
        switch (ev.kind) {
            case K::mapped_created:
            case K::mapped_added:
            case K::mapped_changed:
                refresh_mapped(ev.name);
                break;
            case K::mapped_renamed:
                if (auto it = mapped.find(ev.old_name); it != mapped.end()) {
                    live[ev.name] = live[ev.old_name];
                    live.erase(ev.old_name);
                    mapped.erase(it);
                }
                refresh_mapped(ev.name);
                break;
            case K::mapped_removed:
                if (auto it = mapped.find(ev.name); it != mapped.end()) {
                    const std::string kname = fmt::format("dm-{}", it->second.minor);
                    forget(kname, it->second, kname);
                    mapped.erase(it);
                    live.erase(ev.name);
                }
                break;
            case K::disk_added:
                refresh_disk(ev.name);
                break;
            case K::disk_removed:
                if (auto it = disks.find(ev.name); it != disks.end()) {
                    forget(ev.name, it->second, ev.name);
                    disks.erase(it);
                }
                write_proc();
                break;
        }
    }
};

DevTree::DevTree(DeviceMapper& dm, std::string dir)
    : state_(std::make_shared<State>(State{dm, fs::path(std::move(dir)), {}, {}, {}, {}, {}, {}})) {
    State& s = *state_;
    for (const char* top : {"dev", "proc", "sys"}) s.remove(s.dir / top);
    std::error_code ec;
    for (const char* sub : {"dev/mapper", "dev/block", "proc", "sys/block", "sys/dev/block"})
        fs::create_directories(s.dir / sub, ec);
    s.put_link(s.dir / "dev/mapper/control", "c:10:236");
    s.write_proc();
    // What LVM2 reads from its global/proc directory besides devices: mounts, to find sysfs
    // (here DIR/sys), and self (the real one: libdm reads self/mountinfo).
    s.put_file(s.dir / "proc/mounts",
               fmt::format("sysfs {} sysfs rw,nosuid,nodev,noexec,relatime 0 0\n",
                           (s.dir / "sys").string()));
    s.put_link(s.dir / "proc/self", "/proc/self");
    for (const auto& name : dm.disk_names()) s.refresh_disk(name);
    for (const auto& name : dm.mapped_names()) s.refresh_mapped(name);
    std::weak_ptr<State> weak = state_;
    dm.subscribe([weak](const DeviceEvent& ev) {
        if (auto st = weak.lock()) st->on_event(ev);
    });
}

DevTree::~DevTree() {
    for (const char* top : {"dev", "proc", "sys"}) state_->remove(state_->dir / top);
}

}  // namespace dmemu::emu
