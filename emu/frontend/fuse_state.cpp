// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/fuse_state.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "emu/core/device_mapper.hpp"
#include "emu/core/mapped_device.hpp"
#include "emu/io/io_worker.hpp"

namespace dmemu::emu {

BlockDevice& FuseState::OpenFile::dev() const {
    return md ? static_cast<BlockDevice&>(*md) : *disk;
}

FuseState::FuseState(DeviceMapper& dm, boost::asio::io_context& loop)
    : dm_(dm), loop_(loop), uid_(::getuid()), gid_(::getgid()) {}

FuseState::~FuseState() {
    for (OpenFile* f : open_files_) delete f;
}

FuseIno FuseState::ino_for(const std::shared_ptr<MappedDevice>& md) {
    if (auto it = ino_of_.find(md.get()); it != ino_of_.end()) {
        auto n = nodes_.find(it->second);
        if (n != nodes_.end() && n->second.md.lock() == md) return it->second;
        if (n != nodes_.end()) nodes_.erase(n);  // a new device at a freed address
        ino_of_.erase(it);
    }
    const FuseIno ino = next_ino_++;
    nodes_[ino] = Node{false, md, {}, nullptr};
    ino_of_[md.get()] = ino;
    return ino;
}

FuseIno FuseState::ino_for_disk(const std::string& name, const BlockDevice* dev) {
    if (auto it = ino_of_.find(dev); it != ino_of_.end()) {
        auto n = nodes_.find(it->second);
        if (n != nodes_.end() && n->second.is_disk && n->second.disk_name == name)
            return it->second;
        if (n != nodes_.end()) nodes_.erase(n);
        ino_of_.erase(it);
    }
    const FuseIno ino = next_ino_++;
    nodes_[ino] = Node{true, {}, name, dev};
    ino_of_[dev] = ino;
    return ino;
}

int FuseState::resolve(FuseIno ino, std::shared_ptr<MappedDevice>* md, std::string* disk_name,
                       BlockDevice** disk) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) return -ENOENT;
    const Node& n = it->second;
    if (n.is_disk) {
        BlockDevice* d = dm_.find_disk(n.disk_name);
        if (d == nullptr || d != n.disk) return -ENOENT;
        *disk_name = n.disk_name;
        *disk = d;
        return 0;
    }
    auto m = n.md.lock();
    if (!m || dm_.find_mapped(m->name()) != m) return -ENOENT;
    *md = std::move(m);
    return 0;
}

void FuseState::fill_dir_attr(FuseIno ino, struct stat* st) const {
    std::memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_uid = uid_;
    st->st_gid = gid_;
}

int FuseState::attr_of(FuseIno ino, struct stat* st) {
    std::shared_ptr<MappedDevice> md;
    std::string disk_name;
    BlockDevice* disk = nullptr;
    if (const int e = resolve(ino, &md, &disk_name, &disk); e) return e;
    const Sector sectors = md ? md->size_sectors() : disk->size_sectors();
    std::memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = S_IFREG | 0600;
    st->st_nlink = 1;
    st->st_uid = uid_;
    st->st_gid = gid_;
    st->st_size = static_cast<off_t>(sectors << kSectorShift);
    st->st_blksize = 4096;
    st->st_blocks = static_cast<blkcnt_t>(sectors);
    return 0;
}

void FuseState::on_event(const DeviceEvent& ev) {
    using K = DeviceEvent::Kind;
    if (ev.kind != K::mapped_removed && ev.kind != K::disk_removed) return;
    // Forget the inodes of devices that are gone; a renamed device keeps its inode.
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        std::shared_ptr<MappedDevice> md;
        std::string name;
        BlockDevice* disk = nullptr;
        if (resolve(it->first, &md, &name, &disk) == 0) {
            ++it;
            continue;
        }
        std::erase_if(ino_of_, [ino = it->first](const auto& kv) { return kv.second == ino; });
        it = nodes_.erase(it);
    }
}

FuseState::OpenFile* FuseState::open_file(std::shared_ptr<MappedDevice> md, BlockDevice* disk,
                                          std::string disk_name) {
    if (md)
        md->open();
    else
        dm_.open_disk(disk_name, +1);
    auto* f = new OpenFile{std::move(md), disk, std::move(disk_name)};
    open_files_.insert(f);
    return f;
}

void FuseState::close_file(OpenFile* f) {
    if (f->md)
        f->md->close();
    else
        dm_.open_disk(f->disk_name, -1);
    open_files_.erase(f);
    delete f;
}

}  // namespace dmemu::emu
