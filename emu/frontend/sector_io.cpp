// SPDX-License-Identifier: GPL-2.0-only
#include "emu/frontend/sector_io.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace dmemu::emu {

SectorSpan sector_span(std::uint64_t offset, std::size_t len, Sector device_sectors) {
    SectorSpan s;
    const std::uint64_t end_bytes = device_sectors << kSectorShift;
    if (offset >= end_bytes || len == 0) return s;
    s.bytes = static_cast<std::size_t>(std::min<std::uint64_t>(len, end_bytes - offset));
    s.sector = offset >> kSectorShift;
    s.head = static_cast<std::size_t>(offset & (kSectorSize - 1));
    s.sectors = (s.head + s.bytes + kSectorSize - 1) >> kSectorShift;
    return s;
}

void read_bytes(BlockDevice& dev, std::uint64_t offset, std::size_t len, std::byte* out,
                IoDone done) {
    const SectorSpan s = sector_span(offset, len, dev.size_sectors());
    if (s.sectors == 0) return done(0, 0);
    Bio bio;
    bio.op = BioOp::read;
    bio.sector = s.sector;
    bio.sectors = s.sectors;
    bio.data = out;
    bio.done = [done = std::move(done), n = s.bytes](int err) { done(err, err ? 0 : n); };
    dev.submit(std::move(bio));
}

namespace {

// One write with unaligned edges: the edge sectors are read into the bounce buffer, the
// caller's bytes copied over them, then the whole cover is written.
struct RmwWrite {
    BlockDevice& dev;
    SectorSpan span;
    std::vector<std::byte> bounce;
    IoDone done;
    int pending_reads = 0;
    int err = 0;
};

void rmw_write_cover(const std::shared_ptr<RmwWrite>& w) {
    Bio bio;
    bio.op = BioOp::write;
    bio.sector = w->span.sector;
    bio.sectors = w->span.sectors;
    bio.data = w->bounce.data();
    bio.done = [w](int err) { w->done(err, err ? 0 : w->span.bytes); };
    w->dev.submit(std::move(bio));
}

void rmw_read_edge(const std::shared_ptr<RmwWrite>& w, std::uint64_t index, const std::byte* data) {
    Bio bio;
    bio.op = BioOp::read;
    bio.sector = w->span.sector + index;
    bio.sectors = 1;
    bio.data = w->bounce.data() + (index << kSectorShift);
    bio.done = [w, data](int err) {
        if (err && !w->err) w->err = err;
        if (--w->pending_reads > 0) return;
        if (w->err) return w->done(w->err, 0);
        std::memcpy(w->bounce.data() + w->span.head, data, w->span.bytes);
        rmw_write_cover(w);
    };
    w->dev.submit(std::move(bio));
}

}  // namespace

void write_bytes(BlockDevice& dev, std::uint64_t offset, const std::byte* data, std::size_t len,
                 IoDone done) {
    if (len == 0) return done(0, 0);
    const SectorSpan s = sector_span(offset, len, dev.size_sectors());
    if (s.sectors == 0) return done(-ENOSPC, 0);
    const bool head_partial = s.head != 0;
    const bool tail_partial = ((s.head + s.bytes) & (kSectorSize - 1)) != 0;
    if (!head_partial && !tail_partial) {
        Bio bio;
        bio.op = BioOp::write;
        bio.sector = s.sector;
        bio.sectors = s.sectors;
        // The Bio only reads from a write's buffer.
        bio.data = const_cast<std::byte*>(data);
        bio.done = [done = std::move(done), n = s.bytes](int err) { done(err, err ? 0 : n); };
        dev.submit(std::move(bio));
        return;
    }
    auto w = std::make_shared<RmwWrite>(RmwWrite{dev, s, {}, std::move(done)});
    w->bounce.resize(s.sectors << kSectorShift);
    const std::uint64_t last = s.sectors - 1;
    w->pending_reads = (head_partial ? 1 : 0) + (tail_partial && (last != 0 || !head_partial));
    if (head_partial) rmw_read_edge(w, 0, data);
    if (tail_partial && (last != 0 || !head_partial)) rmw_read_edge(w, last, data);
}

void flush_device(BlockDevice& dev, BioDone done) {
    Bio bio;
    bio.op = BioOp::flush;
    bio.done = std::move(done);
    dev.submit(std::move(bio));
}

void discard_bytes(BlockDevice& dev, std::uint64_t offset, std::uint64_t len, BioDone done) {
    if (!dev.supports_discard()) return done(-EOPNOTSUPP);
    const std::uint64_t end_bytes = dev.size_sectors() << kSectorShift;
    if ((offset | len) & (kSectorSize - 1) || offset > end_bytes || len > end_bytes - offset)
        return done(-EINVAL);
    if (len == 0) return done(0);
    Bio bio;
    bio.op = BioOp::discard;
    bio.sector = offset >> kSectorShift;
    bio.sectors = len >> kSectorShift;
    bio.done = std::move(done);
    dev.submit(std::move(bio));
}

}  // namespace dmemu::emu
