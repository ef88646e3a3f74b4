// SPDX-License-Identifier: GPL-2.0-only
#include "emu/faults/faulty_disk.hpp"

#include <fmt/format.h>
#include <string.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <set>

#include "emu/io/complete.hpp"
#include "emu/io/submit_wait.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

IoView view_of(const Bio& bio) { return {bio.op, bio.sector, bio.sectors, bio.fua}; }

std::string errno_text(int err) {
    const char* name = strerrorname_np(-err);
    return name ? fmt::format("-{}", name) : fmt::format("{}", err);
}

std::string duration_text(Duration d) {
    const auto ns = d.count();
    if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
    if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
    return fmt::format("{}ns", ns);
}

// Counts completions and calls `then` with the first error after the last one.
struct Join {
    BioDone then;
    std::size_t pending;
    int error = 0;
    void put(int err) {
        if (err != 0 && error == 0) error = err;
        if (--pending == 0) then(error);
    }
};

}  // namespace

std::string to_string(const FaultEvent& e) {
    const auto ns = e.time.time_since_epoch().count();
    return fmt::format("t={}.{:09} disk={} fault={} kind={} sectors={}+{} {}", ns / 1'000'000'000,
                       ns % 1'000'000'000, e.disk, e.fault, e.kind, e.sector, e.sectors, e.what);
}

FaultyDisk::FaultyDisk(std::string name, std::unique_ptr<BlockDevice> media, Clock& clock,
                       const Rng& run_rng)
    : name_(std::move(name)),
      media_(std::move(media)),
      clock_(clock),
      rng_(run_rng.stream("fault/" + name_)),
      sectors_(media_->size_sectors()),
      supports_discard_(media_->supports_discard()),
      io_opt_bytes_(media_->io_opt_bytes()),
      physical_block_size_(media_->physical_block_size()) {}

FaultyDisk::~FaultyDisk() {
    for (auto& [id, f] : in_flight_)
        if (f.timer) clock_.cancel(*f.timer);
}

std::optional<FaultId> FaultyDisk::add_fault(std::string_view spec, std::string* error) {
    ParsedFault parsed = parse_fault(spec);
    if (!parsed.fault) {
        *error = parsed.error;
        return std::nullopt;
    }
    const FaultId id = next_fault_id_++;
    faults_.push_back(Installed{id, parsed.kind, std::string(spec), std::move(parsed.fault),
                                rng_.stream(std::to_string(id))});
    return id;
}

bool FaultyDisk::remove_fault(FaultId id) {
    const auto n = std::erase_if(faults_, [id](const Installed& f) { return f.id == id; });
    if (n == 0) return false;
    if (!caching() && !cache_.empty() && powered_) destage([](int) {});
    return true;
}

void FaultyDisk::clear_faults() {
    faults_.clear();
    if (!cache_.empty() && powered_) destage([](int) {});
}

std::vector<FaultyDisk::FaultInfo> FaultyDisk::faults() const {
    std::vector<FaultInfo> out;
    for (const auto& f : faults_) out.push_back({f.id, std::string(f.kind->name), f.spec, f.fired});
    return out;
}

bool FaultyDisk::caching() const {
    for (const auto& f : faults_)
        if (f.fault->caches_writes()) return true;
    return false;
}

void FaultyDisk::report(std::string kind, FaultId id, Sector sector, std::uint64_t sectors,
                        std::string what) {
    const FaultEvent e{clock_.now(), name_, std::move(kind), id, sector, sectors, std::move(what)};
    for (const auto& fn : observers_) fn(e);
}

void FaultyDisk::fire(Installed& f, Sector sector, std::uint64_t sectors, std::string what) {
    ++f.fired;
    report(std::string(f.kind->name), f.id, sector, sectors, std::move(what));
}

BioDone FaultyDisk::guarded(BioDone done) {
    return [this, life = std::weak_ptr<int>(life_), done = std::move(done)](int err) {
        if (life.expired() || !powered_) return;
        done(err);
    };
}

std::optional<FileExtent> FaultyDisk::file_extent(Sector sector, std::uint64_t sectors, BioOp op) {
    if (!powered_ || !faults_.empty() || !cache_.empty()) return std::nullopt;
    return media_->file_extent(sector, sectors, op);
}

void FaultyDisk::submit(Bio bio) {
    auto& ctx = clock_.context();
    if (!powered_) {
        complete_later(ctx, bio, -EIO);
        return;
    }
    if (faults_.empty() && cache_.empty()) {
        // Nothing installed, nothing cached: straight to the media, with no loop hop, so a disk
        // without faults behaves exactly as its media (every disk of a DeviceMapper is a
        // FaultyDisk). The media takes a write's data at submit: it has landed. Its completion
        // is dropped after a power cut, as any other.
        bio.done = guarded(std::move(bio.done));
        media_->submit(std::move(bio));
        return;
    }
    if (reject_beyond_end(ctx, bio, sectors_)) return;
    const IoView io = view_of(bio);
    for (auto& f : faults_) {
        if (const int err = f.fault->admit(io, f.rng); err != 0) {
            fire(f, io.sector, io.sectors,
                 fmt::format("{} failed with {}", to_string(io.op), errno_text(err)));
            bio.done = guarded(std::move(bio.done));
            complete_later(ctx, bio, err);
            return;
        }
    }
    Duration delay = Duration::zero();
    for (auto& f : faults_) {
        const Duration d = f.fault->delay(io, f.rng);
        if (d <= Duration::zero()) continue;
        delay += d;
        fire(f, io.sector, io.sectors,
             fmt::format("{} delayed {}", to_string(io.op), duration_text(d)));
    }
    const std::uint64_t io_id = next_io_id_++;
    InFlight& slot = in_flight_[io_id];
    slot.bio = std::move(bio);
    auto arrive = [this, life = std::weak_ptr<int>(life_), io_id] {
        if (!life.expired()) reach_media(io_id);
    };
    // Even without a delay the bio reaches the media from the loop, never inside submit().
    if (delay > Duration::zero())
        slot.timer = clock_.call_after(delay, std::move(arrive));
    else
        asio::post(ctx, std::move(arrive));
}

void FaultyDisk::reach_media(std::uint64_t io_id) {
    auto it = in_flight_.find(io_id);
    if (it == in_flight_.end()) return;  // the power was cut while it waited
    Bio bio = std::move(it->second.bio);
    in_flight_.erase(it);
    switch (bio.op) {
        case BioOp::read:
            read_at_media(std::move(bio));
            break;
        case BioOp::write:
            if (caching() && !bio.fua) {
                cache_.add(io_id, bio.sector, bio.data, bio.sectors);
                bio.done = guarded(std::move(bio.done));
                complete_later(clock_.context(), bio, 0);
            } else {
                write_through(std::move(bio));
            }
            break;
        case BioOp::discard:
            write_through(std::move(bio));
            break;
        case BioOp::flush:
            flush_at_media(std::move(bio));
            break;
    }
}

void FaultyDisk::read_at_media(Bio bio) {
    // What the cache holds now is what the read must see on top of the media's data.
    auto parts = cache_.overlapping(bio.sector, bio.sectors);
    if (!parts.empty()) {
        bio.done = [parts = std::move(parts), data = bio.data, sector = bio.sector,
                    done = std::move(bio.done)](int err) {
            if (err == 0) lay_over(data, sector, parts);
            done(err);
        };
    }
    bio.done = guarded(std::move(bio.done));
    media_->submit(std::move(bio));
}

void FaultyDisk::write_through(Bio bio) {
    cache_.trim(bio.sector, bio.sectors);
    bio.done = guarded(std::move(bio.done));
    media_->submit(std::move(bio));
}

void FaultyDisk::flush_at_media(Bio bio) {
    destage([this, done = guarded(std::move(bio.done))](int err) mutable {
        Bio flush;
        flush.op = BioOp::flush;
        flush.done = [done = std::move(done), err](int flush_err) {
            done(err != 0 ? err : flush_err);
        };
        media_->submit(std::move(flush));
    });
}

void FaultyDisk::destage(BioDone then) {
    auto records = cache_.take_all();
    auto join = std::make_shared<Join>(Join{std::move(then), records.size() + 1});
    // All submitted in one go, oldest first: the media applies them in this order.
    for (auto& r : records) {
        auto data = std::make_shared<std::vector<std::byte>>(std::move(r.data));
        Bio write;
        write.op = BioOp::write;
        write.sector = r.sector;
        write.sectors = data->size() / kSectorSize;
        write.data = data->data();
        write.done = guarded([join, data](int err) { join->put(err); });
        media_->submit(std::move(write));
    }
    // Never inline: `then` may complete a bio.
    asio::post(clock_.context(), [join, life = std::weak_ptr<int>(life_), this] {
        if (!life.expired() && powered_) join->put(0);
    });
}

asio::awaitable<std::unique_ptr<BlockDevice>> FaultyDisk::power_cut() {
    if (!powered_) co_return nullptr;
    powered_ = false;
    report("power-cut", 0, 0, sectors_, "power cut");
    // Cached writes were submitted before anything still in flight: they land first.
    std::vector<Landing> landing = cached_survivors();
    for (auto& torn : torn_in_flight()) landing.push_back(std::move(torn));
    for (auto& l : landing) {
        Bio write;
        write.op = BioOp::write;
        write.sector = l.sector;
        write.sectors = l.data.size() / kSectorSize;
        write.data = l.data.data();
        const int err = co_await submit_and_wait(*media_, std::move(write));
        if (err != 0)
            report("power-cut", 0, l.sector, l.data.size() / kSectorSize,
                   "landing failed with " + errno_text(err));
    }
    co_return std::move(media_);
}

std::vector<FaultyDisk::Landing> FaultyDisk::torn_in_flight() {
    std::vector<Landing> out;
    for (auto& [io_id, f] : std::exchange(in_flight_, {})) {
        if (f.timer) clock_.cancel(*f.timer);
        // The submitter's completion is dropped with f.bio: the machine is off.
        if (f.bio.op != BioOp::write) continue;
        const IoView io = view_of(f.bio);
        std::optional<std::uint64_t> landed;
        for (auto& inst : faults_) {
            landed = inst.fault->tear(io, inst.rng);
            if (!landed) continue;
            fire(inst, io.sector, io.sectors,
                 fmt::format("torn write: landed {} of {} sectors", *landed, io.sectors));
            break;
        }
        if (!landed) {
            report("power-cut", 0, io.sector, io.sectors, "in-flight write lost");
            continue;
        }
        out.push_back({io.sector,
                       std::vector<std::byte>(f.bio.data, f.bio.data + (*landed << kSectorShift))});
    }
    return out;
}

std::vector<FaultyDisk::Landing> FaultyDisk::cached_survivors() {
    auto records = cache_.take_all();
    // A write may have been cut in pieces (trim): it is decided once, over the span it covers.
    std::map<std::uint64_t, std::pair<Sector, Sector>> span;  // write id -> [first, end)
    std::vector<std::uint64_t> order;
    for (const auto& r : records) {
        auto [it, fresh] = span.try_emplace(r.write_id, r.sector, r.end());
        if (fresh) order.push_back(r.write_id);
        it->second = {std::min(it->second.first, r.sector), std::max(it->second.second, r.end())};
    }
    std::set<std::uint64_t> lost;
    for (const std::uint64_t id : order) {
        const auto [first, end] = span.at(id);
        const IoView io{BioOp::write, first, end - first, false};
        for (auto& inst : faults_) {
            if (!inst.fault->caches_writes() || !inst.fault->loses_unflushed(io, inst.rng))
                continue;
            fire(inst, io.sector, io.sectors, "unflushed write lost");
            lost.insert(id);
            break;
        }
    }
    std::vector<Landing> out;
    for (auto& r : records)
        if (lost.count(r.write_id) == 0) out.push_back({r.sector, std::move(r.data)});
    return out;
}

}  // namespace dmemu::emu
