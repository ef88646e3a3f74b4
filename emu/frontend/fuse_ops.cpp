// SPDX-License-Identifier: GPL-2.0-only
// The operations (see fuse_ops.hpp and docs/fuse.md): the logic in fe_* functions returning 0
// or a negative errno, thin *_handler functions that answer, all wired in fuse_frontend_ops().
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/fuse_ops.hpp"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/core/mapped_device.hpp"
#include "emu/frontend/fuse_state.hpp"
#include "emu/frontend/sector_io.hpp"
#include "emu/io/file_io.hpp"
#include "emu/io/io_worker.hpp"
#include "emu/util/recycled_block.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

// Nothing is cached by the kernel: every lookup and getattr asks the DeviceMapper.
constexpr double kNoCache = 0.0;
// INIT: 1 MiB requests (libfuse raises max_pages to match). max_background and
// congestion_threshold keep the kernel's defaults (12, 9): raising them to 64/48 changed
// nothing measurable (the loop serves requests one at a time) and would let more 1 MiB write
// buffers be in flight at once.
constexpr unsigned kMaxWriteBytes = 1u << 20;

FuseState& state_of(fuse_req_t req) { return *static_cast<FuseState*>(fuse_req_userdata(req)); }
FuseState::OpenFile* file_of(const fuse_file_info* fi) {
    return reinterpret_cast<FuseState::OpenFile*>(fi->fh);
}
bool is_dir_ino(fuse_ino_t ino) { return ino == kRootIno || ino == kMapperIno || ino == kDisksIno; }

// Registers the request with the replies unmount() may have to answer, and runs
// work(state, reply) now; work answers through reply, now or when its I/O completes.
template <class Work>
void with_reply(fuse_req_t req, Work work) {
    FuseState& s = state_of(req);
    Reply reply = s.replies_->add(req);
    if (reply) work(s, std::move(reply));
}

// A write at least this large keeps the request's receive buffer as its data; a smaller one is
// copied into a buffer of its size (a receive buffer is 1 MiB: holding one per 4 KiB write in
// flight would cost more than the copy).
constexpr std::size_t kAdoptWriteBytes = 128u << 10;

// One read or write in flight: its answer and the buffer the Bio reads or fills, owned here so
// that an answer sent early (unmount) never leaves a Bio pointing at freed memory.
struct IoCall {
    std::shared_ptr<FuseState> state;  // keeps the buffer pool alive
    Reply reply;
    IoBuffer buf;
    std::size_t head = 0;             // read: where the requested bytes start in buf
    const std::byte* data = nullptr;  // write: the bytes, inside buf
};

// ---- logic: each returns 0 or a negative errno ----

int fe_lookup(FuseState& s, fuse_ino_t parent, const std::string& name, fuse_entry_param* e) {
    // A mapped device resolves even without a live table, so that open() can answer ENXIO as
    // for a dm node whose table is gone; readdir lists only live ones.
    fuse_ino_t ino = 0;
    if (parent == kMapperIno) {
        if (auto md = s.dm_.find_mapped(name)) ino = s.ino_for(md);
    } else if (BlockDevice* d = s.dm_.find_disk(name)) {
        ino = s.ino_for_disk(name, d);
    }
    if (ino == 0) return -ENOENT;
    e->ino = ino;
    return s.attr_of(ino, &e->attr);
}

// Only what leaves a block device unchanged is accepted: a truncate to its own size, and times
// (ignored, as the node's attributes are fixed).
int fe_setattr(FuseState& s, fuse_ino_t ino, const struct stat& want, int to_set, struct stat* st) {
    if (const int e = s.attr_of(ino, st); e) return e;
    if ((to_set & FUSE_SET_ATTR_SIZE) && want.st_size != st->st_size) return -EINVAL;
    if (to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MODE)) return -EPERM;
    return 0;
}

using DirEntries = std::vector<std::pair<std::string, struct stat>>;

DirEntries fe_list(FuseState& s, fuse_ino_t ino) {
    DirEntries entries;
    struct stat st {};
    s.fill_dir_attr(ino, &st);
    entries.emplace_back(".", st);
    s.fill_dir_attr(kRootIno, &st);
    entries.emplace_back("..", st);
    if (ino == kRootIno) {
        s.fill_dir_attr(kMapperIno, &st);
        entries.emplace_back("mapper", st);
        s.fill_dir_attr(kDisksIno, &st);
        entries.emplace_back("disks", st);
    } else if (ino == kMapperIno) {
        for (const auto& name : s.dm_.mapped_names()) {
            auto md = s.dm_.find_mapped(name);
            if (!md || !md->live()) continue;
            s.attr_of(s.ino_for(md), &st);
            entries.emplace_back(name, st);
        }
    } else {
        for (const auto& name : s.dm_.disk_names()) {
            s.attr_of(s.ino_for_disk(name, s.dm_.find_disk(name)), &st);
            entries.emplace_back(name, st);
        }
    }
    return entries;
}

// The entries from `off` on that fit in `size` bytes, in readdir's wire format.
// (fuse_add_direntry only sizes and formats: it ignores its request argument.)
std::vector<char> fe_readdir_page(const DirEntries& entries, std::size_t size, off_t off) {
    std::vector<char> out;
    std::size_t used = 0;
    for (std::size_t i = static_cast<std::size_t>(off); i < entries.size(); ++i) {
        const auto& [name, st] = entries[i];
        const std::size_t need = fuse_add_direntry(nullptr, nullptr, 0, name.c_str(), nullptr, 0);
        if (used + need > size) break;
        out.resize(used + need);
        fuse_add_direntry(nullptr, out.data() + used, need, name.c_str(), &st,
                          static_cast<off_t>(i + 1));
        used += need;
    }
    return out;
}

int fe_open(FuseState& s, fuse_ino_t ino, int flags, FuseState::OpenFile** file) {
    std::shared_ptr<MappedDevice> md;
    std::string disk_name;
    BlockDevice* disk = nullptr;
    if (const int e = s.resolve(ino, &md, &disk_name, &disk); e) return e;
    if (md && !md->live()) return -ENXIO;
    // A read-only device opens for writing as a block device does (blkdev_open); the write
    // itself fails (fe_write).
    (void)flags;
    *file = s.open_file(std::move(md), disk, std::move(disk_name));
    return 0;
}

// Sends a spliced reply (of IoWorker::kWorthHandingOver or more) from a splice thread: the loop
// reads the next request meanwhile, and two replies are copied at once on two threads. The I/O
// is in flight on the extent's layers until the reply is sent, so a suspend waits for it as for
// a Bio. The thread reads a duplicate of the file descriptor: the disk may close its own before
// the reply is sent (daemon shutdown does not wait for readers). False, with nothing sent, when
// there is no descriptor to spare.
bool splice_on_thread(FuseState& s, FileExtent ext, std::size_t bytes, Reply& reply) {
    const int fd = ::fcntl(ext.fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return false;
    ext.io_started();
    s.thread_splices_.fetch_add(1, std::memory_order_relaxed);
    s.splice_threads_->post(
        [&loop = s.loop_, ext = std::move(ext), fd, bytes, reply = std::move(reply)]() mutable {
            reply.answer([&](fuse_req_t req) {
                return SpliceReplies::reply(req, FileExtent{fd, ext.offset}, bytes);
            });
            ::close(fd);
            // The layers' last references may drop in here: on the loop, where they belong.
            asio::post(loop, [ext = std::move(ext)] { ext.io_ended(); });
        });
    return true;
}

// A read the device would serve with nothing but a pread of one file, with a reply that fits
// the splice pipe, is answered by splice from that file; true when it was.
bool fe_read_spliced(FuseState& s, FuseState::OpenFile& f, const SectorSpan& span, Reply& reply) {
    if (span.bytes == 0 || !s.splice_.fits(span.bytes)) return false;
    auto ext = f.dev().file_extent(span.sector, span.sectors, BioOp::read);
    if (!ext) return false;
    ext->offset += span.head;
    // Counted before the answer wakes the reader, so that a test sees the count with the data.
    s.spliced_reads_.fetch_add(1, std::memory_order_relaxed);
    if (s.splice_threads_ && span.bytes >= IoWorker::kWorthHandingOver &&
        splice_on_thread(s, std::move(*ext), span.bytes, reply))
        return true;
    reply.answer([&](fuse_req_t req) { return SpliceReplies::reply(req, *ext, span.bytes); });
    return true;
}

void fe_read(FuseState& s, FuseState::OpenFile& f, std::size_t size, off_t off, Reply reply) {
    const SectorSpan span =
        sector_span(static_cast<std::uint64_t>(off), size, f.dev().size_sectors());
    if (fe_read_spliced(s, f, span, reply)) return;
    auto io = std::allocate_shared<IoCall>(RecyclingAllocator<IoCall>{});
    io->state = s.shared_from_this();
    io->reply = std::move(reply);
    io->buf = s.buffers_.take(span.sectors << kSectorShift);  // filled by the Bio
    io->head = span.head;
    read_bytes(f.dev(), static_cast<std::uint64_t>(off), size, io->buf.data(),
               [io](int err, std::size_t n) {
                   if (err) {
                       io->reply.err(err);
                       return;
                   }
                   io->reply.answer([&](fuse_req_t req) {
                       return fuse_reply_buf(
                           req, reinterpret_cast<const char*>(io->buf.data()) + io->head, n);
                   });
               });
}

// A write of less than IoWorker::kWorthHandingOver that the device would pass unchanged to one
// file (BlockDevice::file_extent) is written there at once, from the request's own buffer, as
// passthrough_ll writes: no Bio, no copy, no allocation. It is done before the handler returns,
// so no suspend, fault or table swap can come between the look at the stack and the pwrite, and
// nothing is in flight afterwards. Unaligned edges need no read-modify-write: the sectors are the
// file's bytes. True when the write was answered. Larger writes keep the Bio path, whose pwrite
// runs on the IoWorker beside the loop.
bool fe_write_direct(FuseState& s, FuseState::OpenFile& f, const char* data, std::size_t size,
                     off_t off, Reply& reply) {
    if (size >= IoWorker::kWorthHandingOver) return false;
    const SectorSpan span =
        sector_span(static_cast<std::uint64_t>(off), size, f.dev().size_sectors());
    if (span.sectors == 0) return false;  // at or past the end: the Bio path's -ENOSPC
    auto ext = f.dev().file_extent(span.sector, span.sectors, BioOp::write);
    if (!ext) return false;
    s.direct_writes_.fetch_add(1, std::memory_order_relaxed);
    if (const int err = write_all(ext->fd, reinterpret_cast<const std::byte*>(data), span.bytes,
                                  ext->offset + span.head)) {
        reply.err(err);  // as the Bio's FileDisk::do_io would
        return true;
    }
    reply.answer([&](fuse_req_t req) { return fuse_reply_write(req, span.bytes); });
    return true;
}

void fe_write(FuseState::OpenFile& f, std::size_t size, off_t off, std::shared_ptr<IoCall> io) {
    // blkdev_write_iter: a write to a read-only device is EPERM.
    if (f.md && f.md->read_only()) {
        io->reply.err(-EPERM);
        return;
    }
    write_bytes(f.dev(), static_cast<std::uint64_t>(off), io->data, size,
                [io](int err, std::size_t n) {
                    if (err) {
                        io->reply.err(err);
                        return;
                    }
                    io->reply.answer([n](fuse_req_t req) { return fuse_reply_write(req, n); });
                });
}

// ---- handlers, on the loop (SessionReader) ----

void fe_init_handler(void* userdata, fuse_conn_info* conn) {
    auto& s = *static_cast<FuseState*>(userdata);
    conn->max_write = kMaxWriteBytes;
    if (s.max_read_ != 0) conn->max_read = static_cast<unsigned>(s.max_read_);
    // Spliced requests would be copied out of the pipe anyway: write() takes a memory buffer.
    conn->want &= ~FUSE_CAP_SPLICE_READ;
    const bool splice = s.splice_wanted_ && (conn->capable & FUSE_CAP_SPLICE_WRITE);
    if (splice)
        conn->want |= FUSE_CAP_SPLICE_WRITE;
    else
        conn->want &= ~FUSE_CAP_SPLICE_WRITE;
    s.splice_.set_enabled(splice);
}

void fe_lookup_handler(fuse_req_t req, fuse_ino_t parent, const char* name) {
    if (parent == kRootIno) {
        const std::string n = name;
        const fuse_ino_t ino = n == "mapper" ? kMapperIno : n == "disks" ? kDisksIno : 0;
        if (ino == 0) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        fuse_entry_param e{};
        e.ino = ino;
        state_of(req).fill_dir_attr(ino, &e.attr);
        fuse_reply_entry(req, &e);
        return;
    }
    if (parent != kMapperIno && parent != kDisksIno) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    with_reply(req, [parent, name](FuseState& s, Reply reply) {
        fuse_entry_param e{};
        e.attr_timeout = kNoCache;
        e.entry_timeout = kNoCache;
        if (const int err = fe_lookup(s, parent, name, &e); err) {
            reply.err(err);
            return;
        }
        reply.answer([&](fuse_req_t r) { return fuse_reply_entry(r, &e); });
    });
}

void fe_getattr_handler(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
    if (is_dir_ino(ino)) {
        struct stat st;
        state_of(req).fill_dir_attr(ino, &st);
        fuse_reply_attr(req, &st, kNoCache);
        return;
    }
    with_reply(req, [ino](FuseState& s, Reply reply) {
        struct stat st;
        if (const int err = s.attr_of(ino, &st); err) {
            reply.err(err);
            return;
        }
        reply.answer([&](fuse_req_t r) { return fuse_reply_attr(r, &st, kNoCache); });
    });
}

void fe_setattr_handler(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                        fuse_file_info* /*fi*/) {
    if (is_dir_ino(ino)) {
        fuse_reply_err(req, EPERM);
        return;
    }
    with_reply(req, [ino, want = *attr, to_set](FuseState& s, Reply reply) {
        struct stat st;
        if (const int err = fe_setattr(s, ino, want, to_set, &st); err) {
            reply.err(err);
            return;
        }
        reply.answer([&](fuse_req_t r) { return fuse_reply_attr(r, &st, kNoCache); });
    });
}

void fe_readdir_handler(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off,
                        fuse_file_info* /*fi*/) {
    if (!is_dir_ino(ino)) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    with_reply(req, [ino, size, off](FuseState& s, Reply reply) {
        const auto page = fe_readdir_page(fe_list(s, ino), size, off);
        reply.answer([&](fuse_req_t r) { return fuse_reply_buf(r, page.data(), page.size()); });
    });
}

void fe_open_handler(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if (is_dir_ino(ino)) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    with_reply(req, [ino, fi_copy = *fi](FuseState& s, Reply reply) mutable {
        FuseState::OpenFile* file = nullptr;
        if (const int err = fe_open(s, ino, fi_copy.flags, &file); err) {
            reply.err(err);
            return;
        }
        fi_copy.fh = reinterpret_cast<std::uint64_t>(file);
        fi_copy.direct_io = 1;  // every read and write reaches the device: suspend holds them
        fi_copy.keep_cache = 0;
        fi_copy.noflush = 1;  // see fe_flush_handler
        // Not delivered (interrupted, or answered EIO by a stopping front end): no RELEASE
        // will come, so close it here or the open count leaks.
        if (!reply.answer([&](fuse_req_t r) { return fuse_reply_open(r, &fi_copy); }))
            s.close_file(file);
    });
}

void fe_release_handler(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
    state_of(req).close_file(file_of(fi));
    fuse_reply_err(req, 0);
}

void fe_read_handler(fuse_req_t req, fuse_ino_t /*ino*/, std::size_t size, off_t off,
                     fuse_file_info* fi) {
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    with_reply(req, [file = file_of(fi), size, off](FuseState& s, Reply reply) {
        fe_read(s, *file, size, off, std::move(reply));
    });
}

void fe_write_handler(fuse_req_t req, fuse_ino_t /*ino*/, const char* data, std::size_t size,
                      off_t off, fuse_file_info* fi) {
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    with_reply(req, [file = file_of(fi), data, size, off](FuseState& s, Reply reply) {
        if (fe_write_direct(s, *file, data, size, off, reply)) return;
        auto io = std::allocate_shared<IoCall>(RecyclingAllocator<IoCall>{});
        io->state = s.shared_from_this();
        io->reply = std::move(reply);
        // The reader reuses its buffer for the next request once we return: keep the data.
        if (size >= kAdoptWriteBytes && s.receiving_.data() != nullptr) {
            io->buf = std::move(s.receiving_);
            io->data = reinterpret_cast<const std::byte*>(data);
        } else {
            io->buf = s.buffers_.take(size);
            std::memcpy(io->buf.data(), data, size);
            io->data = io->buf.data();
        }
        fe_write(*file, size, off, std::move(io));
    });
}

// close() of a block device issues no flush (blkdev_release only writes back its page cache,
// which these files do not have), so FLUSH, which FUSE sends on every close() (an fd inherited
// by a process that exits, too), answers at once: a device suspended or gone must not make
// close() wait. open() asks the kernel not to send it at all (FOPEN_NOFLUSH, Linux 5.15+).
void fe_flush_handler(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* /*fi*/) {
    fuse_reply_err(req, 0);
}

// fsync and fdatasync: a flush Bio (REQ_PREFLUSH), held while the device is suspended.
void fe_fsync_handler(fuse_req_t req, fuse_ino_t /*ino*/, int /*datasync*/, fuse_file_info* fi) {
    with_reply(req, [file = file_of(fi)](FuseState&, Reply reply) {
        flush_device(file->dev(), [r = std::move(reply)](int err) mutable { r.err(err); });
    });
}

void fe_fallocate_handler(fuse_req_t req, fuse_ino_t /*ino*/, int mode, off_t off, off_t len,
                          fuse_file_info* fi) {
    if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE)) {
        fuse_reply_err(req, EOPNOTSUPP);
        return;
    }
    if (off < 0 || len <= 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    with_reply(req, [file = file_of(fi), off, len](FuseState&, Reply reply) {
        discard_bytes(file->dev(), static_cast<std::uint64_t>(off), static_cast<std::uint64_t>(len),
                      [r = std::move(reply)](int err) mutable { r.err(err); });
    });
}

}  // namespace

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

}  // namespace dmemu::emu
