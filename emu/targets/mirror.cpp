// SPDX-License-Identifier: GPL-2.0-only
// dm-raid1: keeps 2..9 legs identical, with a dirty log saying which regions may differ and a
// background resync that copies them from the default leg (drivers/md/dm-raid1.c).
//
// Table:  <log_type> <#log_args> <log_args>... <#legs> [<dev> <offset>]{#legs}
//         [<#features> [handle_errors] [keep_log]]
//   e.g.  "core 1 1024 2 1:0 0 1:1 0 1 handle_errors", "disk 2 1:2 1024 2 1:0 0 1:1 0"
// TABLE status: "<log TABLE><#legs> <dev> <off>...[ <n> handle_errors[ keep_log]]"
//   e.g. "core 1 1024 2 1:0 0 1:1 0" (the log's text ends in a space; no feature count if none)
// INFO status:  "<#legs> <dev>... <in-sync regions>/<regions> 1 <health per leg> <log INFO>"
//   e.g. "2 1:0 1:1 64/64 1 AA 1 core". Health: A alive, F flush error, D write error,
//   S recovery (sync) error, R read error, U unknown; reset to A when a resync completes.
//
// The kernel's kmirrord work item is one coroutine (mirrord) that runs do_mirror while there is
// work; a region's copy is a coroutine of its own (recover), one at a time, through the kernel's
// kcopyd (emu/core/kcopyd.hpp: chunked, and as slow as the copy bandwidth says). A write
// marks its region in the log and waits for the log flush before it reaches the legs; writes to
// a region not yet in sync go to the default leg only and the resync copies them later.
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <deque>

#include "emu/core/kcopyd.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/targets/mirror_io.hpp"
#include "emu/targets/mirror_region_hash.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/kernel_scan.hpp"
#include "logs/dirty_log.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kPrefix = "raid1";
constexpr unsigned kMaxNrMirrors = 9;  // DM_KCOPYD_MAX_REGIONS + 1

// enum dm_raid1_error, as bits of Mirror::error_type.
enum MirrorError : unsigned {
    kWriteError = 1u << 0,
    kFlushError = 1u << 1,
    kSyncError = 1u << 2,
    kReadError = 1u << 3,
};

struct Mirror {
    std::shared_ptr<DeviceRef> dev;
    Sector offset = 0;
    unsigned error_count = 0;
    unsigned error_type = 0;
};

// DMERR_LIMIT: the kernel's default printk ratelimit, 10 lines per 5 s.
class RateLimit {
public:
    bool allow(TimePoint now) {
        if (printed_ == 0 || now - begin_ >= std::chrono::seconds(5)) {
            begin_ = now;
            printed_ = 0;
        }
        if (printed_ >= 10) return false;
        ++printed_;
        return true;
    }

private:
    TimePoint begin_{};
    unsigned printed_ = 0;
};

struct MirrorConfig {
    std::unique_ptr<logs::DirtyLog> log;
    std::vector<Mirror> mirrors;
    bool handle_errors = false;
    bool keep_log = false;
};

class MirrorTarget final : public Target {
public:
    MirrorTarget(TableEnvironment& env, Sector len, MirrorConfig cfg)
        : env_(env),
          ctx_(env.context()),
          log_(std::move(cfg.log)),
          mirrors_(std::move(cfg.mirrors)),
          handle_errors_(cfg.handle_errors),
          keep_log_(cfg.keep_log),
          region_size_(log_->get_region_size()),
          nr_regions_((len + region_size_ - 1) / region_size_),
          len_(len),
          kcopyd_(env.module_states().get<Kcopyd>()),
          notifier_(env.context()) {
        rh_ = std::make_unique<RegionHash>(
            *log_, [this](Bio bio) { queue_write(std::move(bio)); }, [this] { wakeup(); });
    }

    MapResult map(Bio& bio) override;
    asio::awaitable<std::string> status(StatusType type) override;
    asio::awaitable<void> presuspend() override;
    asio::awaitable<void> postsuspend() override;
    asio::awaitable<void> resume() override;
    asio::awaitable<void> dtr() override;

    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        for (const auto& m : mirrors_) fn(*m.dev, m.offset, len_);
    }

    // wakeup_mirrord: run do_mirror soon, never inline (map() must not complete bios):
    // co_spawn starts the coroutine from a post. One hop, like a woken workqueue that runs at
    // once on another CPU: it reaches the log before the ioctl that woke it goes on (the
    // kernel's kmirrord sends GET_SYNC_COUNT before dmsetup's RESUME, oracle/ulog).
    void wakeup() {
        if (dead_) return;
        if (running_) {
            again_ = true;
            return;
        }
        running_ = true;
        asio::co_spawn(ctx_, mirrord(), asio::detached);
    }

private:
    using Region = logs::Region;

    Region region_of(const Bio& bio) const { return bio.sector / region_size_; }
    bool accounted(const Bio& bio) const { return bio.op == BioOp::write; }
    void queue_write(Bio bio) {
        writes_.push_back(std::move(bio));
        wakeup();
    }
    void queue_read(Bio bio) {
        reads_.push_back(std::move(bio));
        wakeup();
    }

    asio::awaitable<void> mirrord();
    asio::awaitable<void> do_mirror();
    asio::awaitable<void> do_recovery();
    asio::awaitable<void> recover(Region region);
    asio::awaitable<void> do_reads(std::vector<Bio> reads);
    asio::awaitable<void> do_writes(std::vector<Bio> writes);
    asio::awaitable<void> do_failures(std::vector<Bio> failures);

    void do_write(Bio bio, std::vector<std::size_t> legs);
    void write_callback(Bio bio, unsigned long error_bits);
    void read_from(std::size_t leg, Bio bio);
    void hold_bio(Bio bio);
    // mirror_end_io for writes: the region's pending count drops, then the bio completes.
    void finish(Bio bio, int err) {
        if (accounted(bio)) rh_->dec(region_of(bio));
        auto done = std::move(bio.done);
        done(err);
    }

    void fail_mirror(std::size_t m, unsigned error_type);
    std::optional<std::size_t> get_valid_mirror() const {
        for (std::size_t i = 0; i < mirrors_.size(); ++i)
            if (mirrors_[i].error_count == 0) return i;
        return std::nullopt;
    }
    std::optional<std::size_t> choose_mirror() const {
        std::size_t m = default_;
        do {
            if (mirrors_[m].error_count == 0) return m;
            m = m == 0 ? mirrors_.size() - 1 : m - 1;
        } while (m != default_);
        return std::nullopt;
    }
    static char device_status_char(const Mirror& m) {
        if (m.error_count == 0) return 'A';
        if (m.error_type & kFlushError) return 'F';
        if (m.error_type & kWriteError) return 'D';
        if (m.error_type & kSyncError) return 'S';
        if (m.error_type & kReadError) return 'R';
        return 'U';
    }
    template <typename... Args>
    void err_limit(fmt::format_string<Args...> f, Args&&... args) {
        if (ratelimit_.allow(env_.clock().now()))
            env_.kernel_log().err(kPrefix, f, std::forward<Args>(args)...);
    }

    TableEnvironment& env_;
    asio::io_context& ctx_;
    std::unique_ptr<logs::DirtyLog> log_;
    std::unique_ptr<RegionHash> rh_;
    std::vector<Mirror> mirrors_;
    std::size_t default_ = 0;
    const bool handle_errors_;
    const bool keep_log_;
    const std::uint32_t region_size_;
    const Region nr_regions_;
    const Sector len_;

    bool in_sync_ = false;
    bool leg_failure_ = false;
    bool log_failure_ = false;
    bool suspend_ = false;

    std::vector<Bio> reads_, writes_, failures_, holds_;
    bool running_ = false;            // a mirrord coroutine is scheduled or running
    bool again_ = false;              // work arrived while it ran
    bool dead_ = false;               // dtr ran: no more work
    unsigned copies_ = 0;             // recover() coroutines in flight
    std::shared_ptr<Kcopyd> kcopyd_;  // the kernel's (dm_kcopyd_client_create)
    Notifier notifier_;               // idle / copy-finished wake-ups
    RateLimit ratelimit_;
};

MapResult MirrorTarget::map(Bio& bio) {
    if (bio.op != BioOp::read) {
        // Writes, flushes and discards go through kmirrord (mirror_map: queue_bio).
        queue_write(std::move(bio));
        return MapResult::submitted();
    }
    // A read of a region the log says is in sync goes to a healthy leg at once; an unsynced
    // region, or a log that cannot answer without blocking (userspace: -EWOULDBLOCK), sends it
    // through the worker, which asks the log with can_block set.
    const int r = log_->in_sync_nowait(region_of(bio));
    if (r < 0 && r != -EWOULDBLOCK) return MapResult::kill();
    if (r == 1) {
        const auto m = choose_mirror();
        if (!m) return MapResult::kill();
        read_from(*m, std::move(bio));
        return MapResult::submitted();
    }
    queue_read(std::move(bio));
    return MapResult::submitted();
}

// read_callback / mirror_end_io for reads: retry on another leg while one is healthy.
void MirrorTarget::read_from(std::size_t leg, Bio bio) {
    Mirror& m = mirrors_[leg];
    Bio piece;
    piece.op = BioOp::read;
    piece.sector = bio.sector + m.offset;
    piece.sectors = bio.sectors;
    piece.data = bio.data;
    auto shared = std::make_shared<Bio>(std::move(bio));
    piece.done = [this, leg, shared](int err) {
        if (err == 0 || err == -EOPNOTSUPP) {
            auto done = std::move(shared->done);
            done(err);
            return;
        }
        fail_mirror(leg, kReadError);
        if (mirrors_[default_].error_count == 0 || get_valid_mirror()) {
            err_limit("Mirror read failed from {}. Trying alternative device.",
                      mirrors_[leg].dev->name());
            queue_read(std::move(*shared));
            return;
        }
        err_limit("All replicated volumes dead, failing I/O");
        auto done = std::move(shared->done);
        done(err);
    };
    m.dev->device().submit(std::move(piece));
}

asio::awaitable<void> MirrorTarget::mirrord() {
    do {
        again_ = false;
        co_await do_mirror();
    } while (again_ && !dead_);
    running_ = false;
    notifier_.notify();
}

// do_mirror: one pass of kmirrord.
asio::awaitable<void> MirrorTarget::do_mirror() {
    co_await rh_->update_states(handle_errors_);
    co_await do_recovery();
    auto reads = std::exchange(reads_, {});
    auto writes = std::exchange(writes_, {});
    auto failures = std::exchange(failures_, {});
    co_await do_reads(std::move(reads));
    co_await do_writes(std::move(writes));
    co_await do_failures(std::move(failures));
}

asio::awaitable<void> MirrorTarget::do_recovery() {
    co_await rh_->recovery_prepare();
    while (auto region = rh_->recovery_start()) {
        ++copies_;
        asio::co_spawn(ctx_, recover(*region), asio::detached);
    }
    // The log is asked only while the set is not in sync (the kernel's && short-circuits).
    if (!in_sync_ && co_await log_->get_sync_count() == nr_regions_) {
        // The sync is complete: raise an event and forget old errors (reset_ms_flags).
        env_.table_event();
        in_sync_ = true;
        leg_failure_ = false;
        for (auto& m : mirrors_) m.error_count = m.error_type = 0;
    }
}

// recover + recovery_complete: copy one region from the default leg to the others.
asio::awaitable<void> MirrorTarget::recover(Region region) {
    Sector count = region_size_;
    if (region == nr_regions_ - 1) {
        count = len_ & (region_size_ - 1);  // the final region may be short
        if (count == 0) count = region_size_;
    }
    const Sector start = region * region_size_;
    const std::size_t from = default_;
    std::vector<KcopydRegion> to;
    for (std::size_t i = 0; i < mirrors_.size(); ++i)
        if (i != from) to.push_back({&mirrors_[i].dev->device(), mirrors_[i].offset + start});
    // Without handle_errors dm-raid1 copies with DM_KCOPYD_IGNORE_ERROR.
    const KcopydResult r = co_await kcopyd_->copy(
        env_.clock(), {&mirrors_[from].dev->device(), mirrors_[from].offset + start}, std::move(to),
        count, !handle_errors_);
    const bool read_err = r.read_err;
    const unsigned long write_err = r.write_err;  // bit n: the n-th leg other than the default

    if (read_err) {
        err_limit("Unable to read primary mirror during recovery");
        fail_mirror(from, kSyncError);
    }
    if (write_err != 0) {
        err_limit("Write error during recovery (error = {:#x})", write_err);
        unsigned bit = 0;
        for (std::size_t i = 0; i < mirrors_.size(); ++i) {
            if (i == from) continue;
            if (write_err & (1ul << bit)) fail_mirror(i, kSyncError);
            ++bit;
        }
    }
    --copies_;
    rh_->recovery_end(region, !read_err && write_err == 0);
    notifier_.notify();
}

asio::awaitable<void> MirrorTarget::do_reads(std::vector<Bio> reads) {
    for (auto& bio : reads) {
        std::optional<std::size_t> m = default_;
        // Only an in-sync region may be read from another leg.
        const int in_sync = co_await log_->in_sync(region_of(bio), true);
        if (in_sync == 1)
            m = choose_mirror();
        else if (mirrors_[default_].error_count != 0)
            m.reset();
        if (m) {
            read_from(*m, std::move(bio));
        } else {
            auto done = std::move(bio.done);
            done(-EIO);
        }
    }
}

asio::awaitable<void> MirrorTarget::do_writes(std::vector<Bio> writes) {
    if (writes.empty()) co_return;
    std::vector<Bio> sync, nosync;
    for (auto& bio : writes) {
        if (bio.op == BioOp::flush || bio.op == BioOp::discard) {
            sync.push_back(std::move(bio));
            continue;
        }
        const Region region = region_of(bio);
        const int remote = co_await log_->is_remote_recovering(region);
        if (remote != 0) {
            writes_.push_back(std::move(bio));
            continue;
        }
        const RegionState state = co_await rh_->get_state(region, true);
        switch (state) {
            case RegionState::clean:
            case RegionState::dirty:
                sync.push_back(std::move(bio));
                break;
            case RegionState::nosync:
                nosync.push_back(std::move(bio));
                break;
            case RegionState::recovering:
                rh_->delay(region, std::move(bio));
                break;
        }
    }
    // dm_rh_inc_pending, then one log flush: the marks are durable before any leg is written.
    for (auto& bio : sync)
        if (accounted(bio)) co_await rh_->inc(region_of(bio));
    for (auto& bio : nosync)
        if (accounted(bio)) co_await rh_->inc(region_of(bio));
    const int flushed = co_await log_->flush();
    if (flushed != 0) log_failure_ = true;

    std::vector<std::size_t> all(mirrors_.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    for (auto& bio : sync) {
        if (log_failure_ && handle_errors_)
            failures_.push_back(std::move(bio));
        else
            do_write(std::move(bio), all);
    }
    for (auto& bio : nosync) {
        if (leg_failure_ && handle_errors_ && !keep_log_)
            failures_.push_back(std::move(bio));
        else
            do_write(std::move(bio), {default_});
    }
    if (!failures_.empty()) again_ = true;
}

void MirrorTarget::do_write(Bio bio, std::vector<std::size_t> legs) {
    struct Job {
        Bio bio;
        std::size_t pending;
        unsigned long error_bits = 0;
    };
    auto job = std::make_shared<Job>(Job{std::move(bio), legs.size()});
    for (std::size_t i : legs) {
        Mirror& m = mirrors_[i];
        Bio piece;
        piece.op = job->bio.op;
        piece.sectors = job->bio.sectors;
        piece.sector = job->bio.op == BioOp::flush ? 0 : job->bio.sector + m.offset;
        piece.data = job->bio.data;
        piece.fua = job->bio.fua;
        piece.done = [this, job, i](int err) {
            if (err != 0) job->error_bits |= 1ul << i;
            if (--job->pending == 0) write_callback(std::move(job->bio), job->error_bits);
        };
        m.dev->device().submit(std::move(piece));
    }
}

void MirrorTarget::write_callback(Bio bio, unsigned long error_bits) {
    if (error_bits == 0) {
        finish(std::move(bio), 0);
        return;
    }
    // A discard error fails the bio but does not degrade the mirror.
    if (bio.op == BioOp::discard) {
        finish(std::move(bio), -EOPNOTSUPP);
        return;
    }
    for (std::size_t i = 0; i < mirrors_.size(); ++i)
        if (error_bits & (1ul << i))
            fail_mirror(i, bio.op == BioOp::flush ? kFlushError : kWriteError);
    failures_.push_back(std::move(bio));
    wakeup();
}

asio::awaitable<void> MirrorTarget::do_failures(std::vector<Bio> failures) {
    for (auto& bio : failures) {
        if (!log_failure_) {
            in_sync_ = false;
            if (accounted(bio)) co_await rh_->mark_nosync(region_of(bio));
        }
        if (!get_valid_mirror() || (keep_log_ && log_failure_))
            finish(std::move(bio), -EIO);
        else if (handle_errors_ && !keep_log_)
            hold_bio(std::move(bio));
        else
            finish(std::move(bio), 0);
    }
}

// hold_bio: keep a failed write until userspace reconfigures; a suspend fails it.
void MirrorTarget::hold_bio(Bio bio) {
    if (suspend_) {
        finish(std::move(bio), -EIO);
        return;
    }
    holds_.push_back(std::move(bio));
}

void MirrorTarget::fail_mirror(std::size_t m, unsigned error_type) {
    Mirror& mirror = mirrors_[m];
    leg_failure_ = true;
    ++mirror.error_count;
    if (mirror.error_type & error_type) return;
    mirror.error_type |= error_type;
    if (!handle_errors_) return;
    if (m == default_) {
        if (!in_sync_ && !keep_log_) {
            // Better to keep reading the failing leg than to return stale data.
            env_.kernel_log().err(kPrefix,
                                  "Primary mirror ({}) failed while out-of-sync: Reads may fail.",
                                  mirror.dev->name());
        } else if (auto next = get_valid_mirror()) {
            default_ = *next;
        } else {
            env_.kernel_log().warn(kPrefix, "All sides of mirror have failed.");
        }
    }
    env_.table_event();  // trigger_event
}

asio::awaitable<std::string> MirrorTarget::status(StatusType type) {
    std::string out;
    if (type == StatusType::info) {
        out = fmt::format("{} ", mirrors_.size());
        std::string health;
        for (const auto& m : mirrors_) {
            out += m.dev->name() + " ";
            health += device_status_char(m);
        }
        const Region synced = co_await log_->get_sync_count();
        out += fmt::format("{}/{} 1 {} ", synced, nr_regions_, health);
        const std::string log_info = co_await log_->status(type);
        out += log_info;
    } else {
        const std::string log_table = co_await log_->status(type);
        out = log_table;
        out += fmt::format("{}", mirrors_.size());
        for (const auto& m : mirrors_) out += fmt::format(" {} {}", m.dev->name(), m.offset);
        const int features = int(handle_errors_) + int(keep_log_);
        if (features != 0) {
            out += fmt::format(" {}", features);
            if (handle_errors_) out += " handle_errors";
            if (keep_log_) out += " keep_log";
        }
    }
    co_return out;
}

// mirror_presuspend: fail held writes, stop recovery and wait for copies in flight, then the log.
asio::awaitable<void> MirrorTarget::presuspend() {
    suspend_ = true;
    for (auto& bio : std::exchange(holds_, {})) hold_bio(std::move(bio));
    rh_->stop_recovery();
    co_await notifier_.wait_until(
        [this] { return rh_->recovery_in_flight() == 0 && copies_ == 0; });
    const int r = co_await log_->presuspend();
    if (r != 0) env_.kernel_log().warn(kPrefix, "log presuspend failed");
    // flush_workqueue(kmirrord_wq)
    co_await notifier_.wait_until([this] { return !running_; });
}

asio::awaitable<void> MirrorTarget::postsuspend() {
    const int r = co_await log_->postsuspend();
    if (r != 0) env_.kernel_log().warn(kPrefix, "log postsuspend failed");
}

asio::awaitable<void> MirrorTarget::resume() {
    suspend_ = false;
    const int r = co_await log_->resume();
    if (r != 0) env_.kernel_log().warn(kPrefix, "log resume failed");
    rh_->start_recovery();
}

// mirror_dtr: let the worker and any copy finish, then destroy the log.
asio::awaitable<void> MirrorTarget::dtr() {
    rh_->stop_recovery();
    co_await notifier_.wait_until([this] { return !running_ && copies_ == 0; });
    dead_ = true;
    for (auto& bio : std::exchange(holds_, {})) finish(std::move(bio), -EIO);
    co_await log_->dtr();
}

// create_dirty_log + mirror_ctr + get_mirror + parse_features.
asio::awaitable<TargetCtrResult> mirror_ctr(TargetContext& ti, std::vector<std::string> argv) {
    auto fail = [&ti](const char* why, int err = -EINVAL) {
        ti.error = why;
        return TargetCtrResult::fail(err);
    };
    if (argv.size() < 2) co_return fail("Insufficient mirror log arguments");
    const auto param_count = kernel_scan_u(argv[1]);
    if (!param_count) co_return fail("Invalid mirror log argument count");
    const unsigned args_used = 2u + *param_count;  // unsigned, as the kernel's
    if (argv.size() < args_used) co_return fail("Insufficient mirror log arguments");

    MirrorConfig cfg;
    const logs::DirtyLogType* type = logs::find_dirty_log_type(argv[0]);
    if (type == nullptr) {
        ti.env.kernel_log().warn("dirty region log", "Module for logging type \"{}\" not found.",
                                 argv[0]);
        co_return fail("Error creating mirror dirty log");
    }
    const std::size_t log_argc = std::min<std::size_t>(*param_count, argv.size() - 2);
    logs::DirtyLogCtrResult made = co_await type->ctr(
        ti, std::vector<std::string>(argv.begin() + 2, argv.begin() + 2 + log_argc));
    if (!made.log) co_return fail("Error creating mirror dirty log");
    cfg.log = std::move(made.log);

    // From here on a failure destroys the log (dm_dirty_log_destroy: a userspace log sends DTR).
    const char* why = nullptr;
    int err = -EINVAL;
    std::size_t pos = args_used;
    auto remaining = [&] { return argv.size() > pos ? argv.size() - pos : 0; };
    std::optional<unsigned> nr;
    if (remaining() != 0) nr = kernel_scan_u(argv[pos]);
    if (!nr || *nr < 2 || *nr > kMaxNrMirrors) {
        why = "Invalid number of mirrors";
    } else {
        ++pos;
        if (remaining() < 2 * std::size_t(*nr)) why = "Too few mirror arguments";
    }
    for (unsigned m = 0; why == nullptr && m < *nr; ++m, pos += 2) {
        const auto offset = kernel_scan_ull(argv[pos + 1]);  // sscanf "%llu%c"
        if (!offset) {
            why = "Invalid offset";
            break;
        }
        int r = 0;
        auto dev = ti.get_device(argv[pos], &r);
        if (!dev) {
            why = "Device lookup failure";
            err = r != 0 ? r : -ENODEV;
            break;
        }
        cfg.mirrors.push_back(Mirror{std::move(dev), *offset});
    }
    if (why == nullptr && remaining() != 0) {
        const auto nfeat = kernel_scan_u(argv[pos]);
        if (!nfeat) {
            why = "Invalid number of features";
        } else {
            ++pos;
            if (*nfeat > remaining()) why = "Not enough arguments to support feature count";
            for (unsigned i = 0; why == nullptr && i < *nfeat; ++i, ++pos) {
                if (argv[pos] == "handle_errors")
                    cfg.handle_errors = true;
                else if (argv[pos] == "keep_log")
                    cfg.keep_log = true;
                else
                    why = "Unrecognised feature requested";
            }
            if (why == nullptr && !cfg.handle_errors && cfg.keep_log)
                why = "keep_log feature requires the handle_errors feature";
        }
    }
    if (why == nullptr && remaining() != 0) why = "Too many mirror arguments";
    if (why != nullptr) {
        cfg.mirrors.clear();
        co_await cfg.log->dtr();
        co_return fail(why, err);
    }

    ti.max_io_len = cfg.log->get_region_size();
    ti.num_flush_bios = 1;
    ti.num_discard_bios = 1;
    auto target = std::make_unique<MirrorTarget>(ti.env, ti.len, std::move(cfg));
    target->wakeup();  // wakeup_mirrord: the first do_mirror checks whether all is in sync
    co_return TargetCtrResult{std::move(target)};
}

}  // namespace

const TargetType mirror_target{"mirror", {1, 14, 0}, mirror_ctr};

}  // namespace dmemu::emu
