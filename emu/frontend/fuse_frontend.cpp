// SPDX-License-Identifier: GPL-2.0-only
// The FUSE front end (see fuse_frontend.hpp and docs/fuse.md). Shape after libfuse's
// example/passthrough_hp.cc: one state object as the session's userdata, thin handlers that
// reply once, the logic in functions returning 0 or a negative errno, all operations wired in
// fuse_frontend_ops().
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include <fuse3/fuse_lowlevel.h>

#include "emu/frontend/fuse_frontend.hpp"

#include "emu/core/device_mapper.hpp"
#include "emu/core/mapped_device.hpp"
#include "emu/frontend/sector_io.hpp"

#include <boost/asio/post.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <unordered_set>
#include <mutex>
#include <vector>

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;
constexpr fuse_ino_t kMapperIno = 2;
constexpr fuse_ino_t kDisksIno = 3;
constexpr fuse_ino_t kFirstDeviceIno = 16;
constexpr unsigned kMaxWriteBytes = 1u << 20;
// Nothing is cached by the kernel: every lookup and getattr asks the DeviceMapper.
constexpr double kNoCache = 0.0;

// One request handed to the loop. The worker waits for finish(); when the front end stops it may
// abandon the wait, but only while the loop has not started the work (or when the work touches
// no buffer of FUSE's), so a Bio never outlives the memory it points at.
struct LoopCall {
    enum class State { queued, started, finished, abandoned };
    std::mutex m;
    std::condition_variable cv;
    State state = State::queued;
    int err = 0;
    std::size_t bytes = 0;
};

using Finish = std::function<void(int err, std::size_t bytes)>;

}  // namespace

// The session's userdata. dm_, loop_ and the Node table belong to the loop thread; workers only
// read the immutable fields and `stopping_`.
struct FuseState : std::enable_shared_from_this<FuseState> {
    struct Node {
        bool is_disk = false;
        std::weak_ptr<MappedDevice> md;  // mapped device
        std::string disk_name;           // disk
        const BlockDevice* disk = nullptr;
    };
    // An open file: what the FUSE file handle points at. Created and destroyed on the loop (the
    // last reference to a removed MappedDevice must drop there).
    struct OpenFile {
        std::shared_ptr<MappedDevice> md;
        BlockDevice* disk = nullptr;
        std::string disk_name;
        BlockDevice& dev() const { return md ? static_cast<BlockDevice&>(*md) : *disk; }
    };

    FuseState(DeviceMapper& dm, asio::io_context& loop) : dm_(dm), loop_(loop) {}
    // Handles whose release never ran (the kernel sends releases asynchronously; the loop may
    // have stopped first) are freed with the state.
    ~FuseState() {
        for (OpenFile* f : open_files_) delete f;
    }
    std::unordered_set<OpenFile*> open_files_;  // loop thread only

    DeviceMapper& dm_;        // loop only
    asio::io_context& loop_;  // thread safe (post)
    const uid_t uid_ = getuid();
    const gid_t gid_ = getgid();
    std::atomic<bool> stopping_{false};
    // Loop only:
    std::map<fuse_ino_t, Node> nodes_;
    std::map<const void*, fuse_ino_t> ino_of_;
    fuse_ino_t next_ino_ = kFirstDeviceIno;

    // Worker side: runs body on the loop and waits. `owns_buffers`: the work touches only memory
    // the body owns, so the wait may be abandoned even after it started.
    int call(std::function<void(Finish)> body, bool owns_buffers, std::size_t* bytes = nullptr);

    // Loop side.
    fuse_ino_t ino_for(const std::shared_ptr<MappedDevice>& md);
    fuse_ino_t ino_for_disk(const std::string& name, const BlockDevice* dev);
    int resolve(fuse_ino_t ino, std::shared_ptr<MappedDevice>* md, std::string* disk_name,
                BlockDevice** disk);
    int attr_of(fuse_ino_t ino, struct stat* st);
    void on_event(const DeviceEvent& ev);
};

int FuseState::call(std::function<void(Finish)> body, bool owns_buffers, std::size_t* bytes) {
    if (stopping_) return -EIO;
    auto c = std::make_shared<LoopCall>();
    asio::post(loop_, [c, body = std::move(body)] {
        {
            std::lock_guard lk(c->m);
            if (c->state == LoopCall::State::abandoned) return;
            c->state = LoopCall::State::started;
        }
        body([c](int err, std::size_t n) {
            std::lock_guard lk(c->m);
            if (c->state != LoopCall::State::abandoned) c->state = LoopCall::State::finished;
            c->err = err;
            c->bytes = n;
            c->cv.notify_all();
        });
    });
    std::unique_lock lk(c->m);
    while (c->state != LoopCall::State::finished) {
        const bool may_abandon = c->state == LoopCall::State::queued || owns_buffers;
        if (stopping_ && may_abandon) {
            c->state = LoopCall::State::abandoned;
            return -EIO;
        }
        c->cv.wait_for(lk, std::chrono::milliseconds(50));
    }
    if (bytes) *bytes = c->bytes;
    return c->err;
}

fuse_ino_t FuseState::ino_for(const std::shared_ptr<MappedDevice>& md) {
    if (auto it = ino_of_.find(md.get()); it != ino_of_.end()) {
        auto n = nodes_.find(it->second);
        if (n != nodes_.end() && n->second.md.lock() == md) return it->second;
        if (n != nodes_.end()) nodes_.erase(n);  // a new device at a freed address
        ino_of_.erase(it);
    }
    const fuse_ino_t ino = next_ino_++;
    nodes_[ino] = Node{false, md, {}, nullptr};
    ino_of_[md.get()] = ino;
    return ino;
}

fuse_ino_t FuseState::ino_for_disk(const std::string& name, const BlockDevice* dev) {
    if (auto it = ino_of_.find(dev); it != ino_of_.end()) {
        auto n = nodes_.find(it->second);
        if (n != nodes_.end() && n->second.is_disk && n->second.disk_name == name) return it->second;
        if (n != nodes_.end()) nodes_.erase(n);
        ino_of_.erase(it);
    }
    const fuse_ino_t ino = next_ino_++;
    nodes_[ino] = Node{true, {}, name, dev};
    ino_of_[dev] = ino;
    return ino;
}

int FuseState::resolve(fuse_ino_t ino, std::shared_ptr<MappedDevice>* md, std::string* disk_name,
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

namespace {

void fill_dir_attr(fuse_ino_t ino, uid_t uid, gid_t gid, struct stat* st) {
    std::memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    st->st_uid = uid;
    st->st_gid = gid;
}

bool is_dir_ino(fuse_ino_t ino) { return ino == kRootIno || ino == kMapperIno || ino == kDisksIno; }

}  // namespace

int FuseState::attr_of(fuse_ino_t ino, struct stat* st) {
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

namespace {

FuseState& state_of(fuse_req_t req) { return *static_cast<FuseState*>(fuse_req_userdata(req)); }
FuseState::OpenFile& file_of(fuse_file_info* fi) {
    return *reinterpret_cast<FuseState::OpenFile*>(fi->fh);
}

// ---- logic: each returns 0 or a negative errno ----

int fe_lookup(FuseState& s, fuse_ino_t parent, const std::string& name, fuse_entry_param* e) {
    std::memset(e, 0, sizeof *e);
    e->attr_timeout = kNoCache;
    e->entry_timeout = kNoCache;
    if (parent == kRootIno) {
        const fuse_ino_t ino = name == "mapper" ? kMapperIno : name == "disks" ? kDisksIno : 0;
        if (ino == 0) return -ENOENT;
        e->ino = ino;
        fill_dir_attr(ino, s.uid_, s.gid_, &e->attr);
        return 0;
    }
    if (parent != kMapperIno && parent != kDisksIno) return -ENOTDIR;
    return s.call(
        [&s, parent, &name, e](Finish done) {
            // A mapped device resolves even without a live table, so that open() can answer
            // ENXIO as for a dm node whose table is gone; readdir lists only live ones.
            fuse_ino_t ino = 0;
            if (parent == kMapperIno) {
                if (auto md = s.dm_.find_mapped(name)) ino = s.ino_for(md);
            } else if (BlockDevice* d = s.dm_.find_disk(name)) {
                ino = s.ino_for_disk(name, d);
            }
            if (ino == 0) return done(-ENOENT, 0);
            e->ino = ino;
            done(s.attr_of(ino, &e->attr), 0);
        },
        false);
}

int fe_getattr(FuseState& s, fuse_ino_t ino, struct stat* st) {
    if (is_dir_ino(ino)) {
        fill_dir_attr(ino, s.uid_, s.gid_, st);
        return 0;
    }
    return s.call([&s, ino, st](Finish done) { done(s.attr_of(ino, st), 0); }, false);
}

// Only what leaves a block device unchanged is accepted: a truncate to its own size, and times
// and modes (ignored, as the node's attributes are fixed).
int fe_setattr(FuseState& s, fuse_ino_t ino, const struct stat* want, int to_set, struct stat* st) {
    if (const int e = fe_getattr(s, ino, st); e) return e;
    if ((to_set & FUSE_SET_ATTR_SIZE) && want->st_size != st->st_size) return -EINVAL;
    if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MODE)) return -EPERM;
    return 0;
}

int fe_readdir(FuseState& s, fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off,
               std::vector<char>* out) {
    if (!is_dir_ino(ino)) return -ENOTDIR;
    std::vector<std::pair<std::string, struct stat>> entries;
    struct stat dir {};
    fill_dir_attr(ino, s.uid_, s.gid_, &dir);
    entries.emplace_back(".", dir);
    fill_dir_attr(kRootIno, s.uid_, s.gid_, &dir);
    entries.emplace_back("..", dir);
    if (ino == kRootIno) {
        fill_dir_attr(kMapperIno, s.uid_, s.gid_, &dir);
        entries.emplace_back("mapper", dir);
        fill_dir_attr(kDisksIno, s.uid_, s.gid_, &dir);
        entries.emplace_back("disks", dir);
    } else {
        const int e = s.call(
            [&s, ino, &entries](Finish done) {
                if (ino == kMapperIno) {
                    for (const auto& name : s.dm_.mapped_names()) {
                        auto md = s.dm_.find_mapped(name);
                        if (!md || !md->live()) continue;
                        struct stat st {};
                        s.attr_of(s.ino_for(md), &st);
                        entries.emplace_back(name, st);
                    }
                } else {
                    for (const auto& name : s.dm_.disk_names()) {
                        struct stat st {};
                        s.attr_of(s.ino_for_disk(name, s.dm_.find_disk(name)), &st);
                        entries.emplace_back(name, st);
                    }
                }
                done(0, 0);
            },
            false);
        if (e) return e;
    }
    std::size_t used = 0;
    for (std::size_t i = static_cast<std::size_t>(off); i < entries.size(); ++i) {
        const auto& [name, st] = entries[i];
        const std::size_t need = fuse_add_direntry(req, nullptr, 0, name.c_str(), nullptr, 0);
        if (used + need > size) break;
        out->resize(used + need);
        fuse_add_direntry(req, out->data() + used, need, name.c_str(), &st,
                          static_cast<off_t>(i + 1));
        used += need;
    }
    return 0;
}

int fe_open(FuseState& s, fuse_ino_t ino, int flags, FuseState::OpenFile** file) {
    if (is_dir_ino(ino)) return -EISDIR;
    const bool for_write = (flags & O_ACCMODE) != O_RDONLY;
    return s.call(
        [&s, ino, for_write, file](Finish done) {
            std::shared_ptr<MappedDevice> md;
            std::string disk_name;
            BlockDevice* disk = nullptr;
            if (const int e = s.resolve(ino, &md, &disk_name, &disk); e) return done(e, 0);
            if (md) {
                if (!md->live()) return done(-ENXIO, 0);
                if (for_write && md->read_only()) return done(-EROFS, 0);
                md->open();
            } else {
                s.dm_.open_disk(disk_name, +1);
            }
            *file = new FuseState::OpenFile{std::move(md), disk, std::move(disk_name)};
            s.open_files_.insert(*file);
            done(0, 0);
        },
        false);  // the handle must be returned to FUSE, or the open count would leak
}

// Lowers the open count; never waits, so it also runs after the front end stopped.
void fe_release(FuseState& s, FuseState::OpenFile* file) {
    asio::post(s.loop_, [self = s.shared_from_this(), file] {
        if (file->md)
            file->md->close();
        else
            self->dm_.open_disk(file->disk_name, -1);
        self->open_files_.erase(file);
        delete file;
    });
}

// The read's buffer, shared with the loop so that a stopping front end may stop waiting.
struct ReadBuf {
    std::vector<std::byte> data;
    std::size_t head = 0;  // where the requested bytes start in data
};

int fe_read(FuseState& s, FuseState::OpenFile& f, std::size_t size, off_t off,
            const std::shared_ptr<ReadBuf>& buf, std::size_t* n) {
    if (off < 0) return -EINVAL;
    return s.call(
        [&f, size, off, buf](Finish done) {
            const SectorSpan span =
                sector_span(static_cast<std::uint64_t>(off), size, f.dev().size_sectors());
            buf->data.resize(span.sectors << kSectorShift);
            buf->head = span.head;
            read_bytes(f.dev(), static_cast<std::uint64_t>(off), size, buf->data.data(),
                       [buf, done](int err, std::size_t bytes) { done(err, bytes); });
        },
        true, n);
}

int fe_write(FuseState& s, FuseState::OpenFile& f, const char* data, std::size_t size, off_t off,
             std::size_t* n) {
    if (off < 0) return -EINVAL;
    return s.call(
        [&f, data, size, off](Finish done) {
            write_bytes(f.dev(), static_cast<std::uint64_t>(off),
                        reinterpret_cast<const std::byte*>(data), size, done);
        },
        false, n);
}

int fe_flush(FuseState& s, FuseState::OpenFile& f) {
    return s.call([&f](Finish done) { flush_device(f.dev(), [done](int e) { done(e, 0); }); },
                  true);
}

int fe_fallocate(FuseState& s, FuseState::OpenFile& f, int mode, off_t off, off_t len) {
    if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) return -EOPNOTSUPP;
    if (off < 0 || len <= 0) return -EINVAL;
    return s.call(
        [&f, off, len](Finish done) {
            discard_bytes(f.dev(), static_cast<std::uint64_t>(off),
                          static_cast<std::uint64_t>(len), [done](int e) { done(e, 0); });
        },
        true);
}

// ---- handlers: one reply each ----

void fe_init_handler(void* /*userdata*/, fuse_conn_info* conn) {
    conn->max_write = kMaxWriteBytes;  // libfuse clamps it to its buffer and sets max_pages
    conn->want &= ~FUSE_CAP_SPLICE_READ;
}

void fe_lookup_handler(fuse_req_t req, fuse_ino_t parent, const char* name) {
    fuse_entry_param e;
    if (const int err = fe_lookup(state_of(req), parent, name, &e); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_entry(req, &e);
}

void fe_getattr_handler(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
    struct stat st;
    if (const int err = fe_getattr(state_of(req), ino, &st); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_attr(req, &st, kNoCache);
}

void fe_setattr_handler(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                        fuse_file_info* /*fi*/) {
    struct stat st;
    if (const int err = fe_setattr(state_of(req), ino, attr, to_set, &st); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_attr(req, &st, kNoCache);
}

void fe_readdir_handler(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off,
                        fuse_file_info* /*fi*/) {
    std::vector<char> buf;
    if (const int err = fe_readdir(state_of(req), req, ino, size, off, &buf); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_buf(req, buf.data(), buf.size());
}

void fe_open_handler(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    FuseState::OpenFile* file = nullptr;
    if (const int err = fe_open(state_of(req), ino, fi->flags, &file); err) {
        fuse_reply_err(req, -err);
        return;
    }
    fi->fh = reinterpret_cast<std::uint64_t>(file);
    fi->direct_io = 1;  // every read and write reaches the device: suspend holds them
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0) fe_release(state_of(req), file);  // interrupted open
}

void fe_release_handler(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
    fe_release(state_of(req), &file_of(fi));
    fuse_reply_err(req, 0);
}

void fe_read_handler(fuse_req_t req, fuse_ino_t /*ino*/, std::size_t size, off_t off,
                     fuse_file_info* fi) {
    auto buf = std::make_shared<ReadBuf>();
    std::size_t n = 0;
    if (const int err = fe_read(state_of(req), file_of(fi), size, off, buf, &n); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_buf(req, reinterpret_cast<const char*>(buf->data.data()) + buf->head, n);
}

void fe_write_handler(fuse_req_t req, fuse_ino_t /*ino*/, const char* data, std::size_t size,
                      off_t off, fuse_file_info* fi) {
    std::size_t n = 0;
    if (const int err = fe_write(state_of(req), file_of(fi), data, size, off, &n); err)
        fuse_reply_err(req, -err);
    else
        fuse_reply_write(req, n);
}

void fe_flush_handler(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
    fuse_reply_err(req, -fe_flush(state_of(req), file_of(fi)));
}

void fe_fsync_handler(fuse_req_t req, fuse_ino_t /*ino*/, int /*datasync*/, fuse_file_info* fi) {
    fuse_reply_err(req, -fe_flush(state_of(req), file_of(fi)));
}

void fe_fallocate_handler(fuse_req_t req, fuse_ino_t /*ino*/, int mode, off_t off, off_t len,
                          fuse_file_info* fi) {
    fuse_reply_err(req, -fe_fallocate(state_of(req), file_of(fi), mode, off, len));
}

fuse_lowlevel_ops fuse_frontend_ops() {
    fuse_lowlevel_ops ops{};
    ops.init = fe_init_handler;
    ops.lookup = fe_lookup_handler;
    ops.getattr = fe_getattr_handler;
    ops.setattr = fe_setattr_handler;
    ops.readdir = fe_readdir_handler;
    ops.open = fe_open_handler;
    ops.release = fe_release_handler;
    ops.read = fe_read_handler;
    ops.write = fe_write_handler;
    ops.flush = fe_flush_handler;
    ops.fsync = fe_fsync_handler;
    ops.fallocate = fe_fallocate_handler;
    return ops;
}

// ---- mounting ----

bool user_allow_other() {
    std::ifstream conf("/etc/fuse.conf");
    std::string line;
    while (std::getline(conf, line))
        if (line.rfind("user_allow_other", 0) == 0) return true;
    return false;
}

bool check_dev_fuse(std::string* why) {
    const int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        ::close(fd);
        return true;
    }
    const int e = errno;
    if (e == ENOENT)
        *why = "fuse: /dev/fuse is missing (load the fuse module, or give the container the device)";
    else if (e == EACCES || e == EPERM)
        *why = "fuse: /dev/fuse: permission denied";
    else
        *why = std::string("fuse: /dev/fuse: ") + std::strerror(e);
    return false;
}

bool check_mountpoint(const std::string& mp, std::string* why) {
    struct stat st, parent;
    if (::stat(mp.c_str(), &st) != 0) {
        *why = "fuse: mountpoint '" + mp + "': " + std::strerror(errno);
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        *why = "fuse: mountpoint '" + mp + "' is not a directory";
        return false;
    }
    if (::stat((mp + "/..").c_str(), &parent) == 0 &&
        (parent.st_dev != st.st_dev || parent.st_ino == st.st_ino)) {
        *why = "fuse: mountpoint '" + mp + "' is busy (already a mount point)";
        return false;
    }
    return true;
}

}  // namespace

std::unique_ptr<FuseFrontend> FuseFrontend::mount(DeviceMapper& dm, asio::io_context& loop,
                                                  std::string mountpoint, std::string* error) {
    std::string why;
    if (!check_dev_fuse(&why) || !check_mountpoint(mountpoint, &why)) {
        if (error) *error = why;
        return nullptr;
    }
    std::unique_ptr<FuseFrontend> fe(new FuseFrontend);
    fe->mountpoint_ = std::move(mountpoint);
    fe->state_ = std::make_shared<FuseState>(dm, loop);

    std::string opts = "default_permissions,fsname=dmemu,subtype=dmemu";
    if (geteuid() == 0 || user_allow_other()) opts += ",allow_other";
    std::vector<std::string> argv_s = {"dmemu", "-o", opts};
    if (std::getenv("DMEMU_FUSE_DEBUG")) argv_s.push_back("-d");
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
    const fuse_lowlevel_ops ops = fuse_frontend_ops();
    fe->session_ = fuse_session_new(&args, &ops, sizeof ops, fe->state_.get());
    fuse_opt_free_args(&args);
    if (fe->session_ == nullptr) {
        if (error) *error = "fuse: could not create the session (options '" + opts + "')";
        return nullptr;
    }
    if (fuse_session_mount(fe->session_, fe->mountpoint_.c_str()) != 0) {
        if (error) *error = "fuse: mount on '" + fe->mountpoint_ + "' failed (libfuse said why on stderr)";
        fuse_session_destroy(fe->session_);
        fe->session_ = nullptr;
        return nullptr;
    }
    fe->mounted_ = true;
    // The subscription outlives us (DeviceMapper has no unsubscribe): it holds a weak reference.
    asio::post(loop, [&dm, weak = std::weak_ptr<FuseState>(fe->state_)] {
        dm.subscribe([weak](const DeviceEvent& ev) {
            if (auto s = weak.lock()) s->on_event(ev);
        });
    });
    fe->loop_thread_ = std::thread([se = fe->session_] {
        fuse_loop_config* cfg = fuse_loop_cfg_create();
        fuse_loop_cfg_set_clone_fd(cfg, 0);
        fuse_loop_cfg_set_max_threads(cfg, 16);
        fuse_session_loop_mt(se, cfg);
        fuse_loop_cfg_destroy(cfg);
    });
    return fe;
}

void FuseFrontend::unmount() {
    if (!mounted_) return;
    mounted_ = false;
    state_->stopping_ = true;
    fuse_session_exit(session_);
    // fuse_session_loop_mt returns once a worker sees the exit flag after a request: send one
    // (a lookup the root answers without the loop). A worker may end on an earlier request and
    // leave this one unanswered: it is sent from its own thread, which the abort of the
    // connection in fuse_session_destroy releases.
    std::thread waker([path = mountpoint_ + "/.dmemu-stop"] {
        struct stat st;
        (void)::stat(path.c_str(), &st);
    });
    if (loop_thread_.joinable()) loop_thread_.join();
    fuse_session_unmount(session_);
    fuse_session_destroy(session_);
    session_ = nullptr;
    waker.join();
}

FuseFrontend::~FuseFrontend() { unmount(); }

bool FuseFrontend::fuse_usable(std::string* why) {
    std::string reason;
    if (!check_dev_fuse(&reason)) {
        if (why) *why = reason;
        return false;
    }
    if (geteuid() != 0 && ::access("/bin/fusermount3", X_OK) != 0 &&
        ::access("/usr/bin/fusermount3", X_OK) != 0) {
        if (why) *why = "fuse: not root and fusermount3 is not installed";
        return false;
    }
    // The only true test is a mount: containers often have /dev/fuse but no mount permission.
    char dir[] = "/tmp/dmemu-fuse-probe-XXXXXX";
    if (::mkdtemp(dir) == nullptr) {
        if (why) *why = std::string("fuse: probe directory: ") + std::strerror(errno);
        return false;
    }
    std::vector<std::string> argv_s = {"dmemu-probe"};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    fuse_args args = FUSE_ARGS_INIT(1, argv.data());
    fuse_lowlevel_ops ops{};
    fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, nullptr);
    fuse_opt_free_args(&args);
    bool ok = se != nullptr && fuse_session_mount(se, dir) == 0;
    if (se) {
        if (ok) fuse_session_unmount(se);
        fuse_session_destroy(se);
    }
    ::rmdir(dir);
    if (!ok && why) *why = "fuse: a test mount failed (no permission to mount FUSE here?)";
    return ok;
}

}  // namespace dmemu::emu
