// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/table.hpp"

#include <algorithm>
#include <cerrno>
#include <limits>
#include <numeric>
#include <utility>

#include "emu/core/target_registry.hpp"
#include "emu/io/complete.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/recycled_block.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kPrefix = "table";
// LLONG_MAX >> SECTOR_SHIFT: the last sector a table may end at.
constexpr Sector kMaxTableEnd =
    static_cast<Sector>(std::numeric_limits<long long>::max()) >> kSectorShift;

// ERR_PTR(r) as the kernel's %pe prints it.
const char* errno_symbol(int err) {
    switch (-err) {
        case EINVAL:
            return "-EINVAL";
        case ENODEV:
            return "-ENODEV";
        case ENXIO:
            return "-ENXIO";
        case ENOMEM:
            return "-ENOMEM";
        case EBUSY:
            return "-EBUSY";
        case EIO:
            return "-EIO";
        case ENOTBLK:
            return "-ENOTBLK";
        case ESRCH:
            return "-ESRCH";
        case EPERM:
            return "-EPERM";
        case EROFS:
            return "-EROFS";
        case ENOENT:
            return "-ENOENT";
        case EAGAIN:
            return "-EAGAIN";
        case ENOSPC:
            return "-ENOSPC";
        default:
            return "-E?";
    }
}

// Completion bookkeeping for a bio split into pieces, counted in place: each piece's completion
// and the splitter hold a SplitRef, and the parent is freed (a recycled block) with the last.
// done() runs once every reference has been put; a reference dropped unput (its Bio dropped
// with the io_context) means done() never runs, as when a shared_ptr's last copy goes.
struct SplitParent {
    BioDone done;
    unsigned refs = 0;  // SplitRefs alive: the pieces' and the splitter's
    int error = 0;
    bool dropped = false;

    static SplitParent* make(BioDone done) {
        void* block = recycled_alloc(sizeof(SplitParent));
        return ::new (block) SplitParent{std::move(done)};
    }
    void release() {
        if (--refs != 0) return;
        this->~SplitParent();
        recycled_free(this, sizeof(SplitParent));
    }
};

class SplitRef {
public:
    explicit SplitRef(SplitParent* parent) : parent_(parent) { ++parent_->refs; }
    SplitRef(SplitRef&& o) noexcept : parent_(std::exchange(o.parent_, nullptr)) {}
    SplitRef& operator=(SplitRef&&) = delete;
    ~SplitRef() {
        if (parent_ == nullptr) return;
        parent_->dropped = true;
        parent_->release();
    }

    void operator()(int err) {
        SplitParent* p = std::exchange(parent_, nullptr);
        if (err != 0 && p->error == 0) p->error = err;
        if (p->refs == 1 && !p->dropped) p->done(p->error);
        p->release();
    }

private:
    SplitParent* parent_;
};

}  // namespace

asio::awaitable<Table::BuildResult> Table::build(std::unique_ptr<TableEnvironment> env,
                                                 const TargetRegistry& registry,
                                                 std::vector<TargetSpec> specs) {
    std::unique_ptr<Table> table(new Table(std::move(env)));
    TableEnvironment& e = *table->env_;
    KernelLog& klog = e.kernel_log();
    int r = 0;
    if (specs.empty()) {
        // populate_table: "no targets specified"
        klog.warn("ioctl", "populate_table: no targets specified");
        r = -EINVAL;
    }
    for (auto& spec : specs) {
        if (r != 0) break;
        if (spec.length == 0) {
            klog.err(kPrefix, "{}: zero-length target", e.device_name());
            r = -EINVAL;
            break;
        }
        // The 6.1 stable check (dm_table_add_target, "dm-table: check valid start and len"):
        // the table's end must neither wrap nor pass 2^63 bytes. Before the type lookup, and
        // like zero-length a line without the target type or an errno.
        if (spec.start + spec.length < spec.start || spec.start + spec.length > kMaxTableEnd) {
            klog.err(kPrefix, "{}: too large device", e.device_name());
            r = -EINVAL;
            break;
        }
        const TargetType* type = registry.find(spec.type);
        if (type == nullptr) {
            klog.err(kPrefix, "{}: {}: unknown target type", e.device_name(), spec.type);
            r = -EINVAL;
            break;
        }
        TargetContext ctx{e};
        ctx.begin = spec.start;
        ctx.len = spec.length;
        // adjoin(): the first target starts at 0, each next one where the previous ended.
        const Sector expected =
            table->slots_.empty() ? 0 : table->slots_.back().begin + table->slots_.back().len;
        if (spec.start != expected) {
            ctx.error = "Gap in table";
            r = -EINVAL;
        } else {
            TargetCtrResult made = co_await type->ctr(ctx, split_args(spec.params));
            if (made.target) {
                table->slots_.push_back(Slot{
                    spec.start, spec.length, type, std::move(made.target), ctx.max_io_len,
                    ctx.num_flush_bios, ctx.num_discard_bios, ctx.io_opt_bytes, ctx.io_min_bytes});
                continue;
            }
            r = made.error != 0 ? made.error : -EINVAL;
        }
        klog.err(kPrefix, "{}: {}: {} ({})", e.device_name(), spec.type, ctx.error,
                 errno_symbol(r));
    }
    if (r != 0 && !specs.empty()) klog.warn("ioctl", "error adding target to table");
    if (r != 0) {
        co_await table->destroy();
        co_return BuildResult{nullptr, r};
    }
    co_return BuildResult{std::move(table), 0};
}

// destroy() normally runs first (a target's dtr may need the loop: a userspace log's DTR). A
// table freed without it (the emulator torn down with devices still up) skips the dtr hooks.
Table::Table(std::unique_ptr<TableEnvironment> env)
    : env_(std::move(env)), readers_gone_(env_->context().get_executor()) {}

Table::~Table() = default;

asio::awaitable<void> Table::destroy() {
    if (destroyed_) co_return;
    destroyed_ = true;
    while (readers_ > 0) co_await readers_gone_.wait();
    for (auto& slot : slots_) co_await slot.target->dtr();
    // Targets go before the environment that holds their device references.
    slots_.clear();
}

Sector Table::size() const { return slots_.empty() ? 0 : slots_.back().begin + slots_.back().len; }

const Table::Slot* Table::find(Sector sector) const {
    // Binary search over begin (dm_table_find_target walks a btree of highs).
    auto it = std::upper_bound(slots_.begin(), slots_.end(), sector,
                               [](Sector s, const Slot& slot) { return s < slot.begin; });
    if (it == slots_.begin()) return nullptr;
    --it;
    return sector < it->begin + it->len ? &*it : nullptr;
}

std::uint32_t Table::io_opt_bytes() const {
    // dm_calculate_queue_limits: each target's io_hints value, else the stacked value of its
    // devices; targets combine with lcm_not_zero.
    std::uint64_t opt = 0;
    auto combine = [&opt](std::uint64_t v) {
        if (v == 0) return;
        opt = opt == 0 ? v : std::lcm(opt, v);
    };
    for (const auto& slot : slots_) combine(slot.io_opt_bytes);
    if (opt == 0)
        for (const auto& dev : devices()) combine(dev->device().io_opt_bytes());
    return static_cast<std::uint32_t>(opt);
}

std::uint32_t Table::io_min_bytes() const {
    std::uint32_t min = 512;
    for (const auto& slot : slots_) min = std::max(min, slot.io_min_bytes);
    for (const auto& dev : devices()) min = std::max(min, dev->device().io_min_bytes());
    return min;
}

void Table::map_bio(Bio bio, const std::function<void(Bio)>& requeue) {
    auto& ctx = env_->context();
    // The splitter's reference, put by finish_later below once every piece is sent.
    SplitParent* parent = SplitParent::make(std::move(bio.done));
    SplitRef splitter(parent);

    auto issue = [&](const Slot& slot, Bio piece) {
        piece.done = SplitRef(parent);
        const MapResult r = slot.target->map(piece);
        switch (r.verdict) {
            case MapVerdict::submitted:
                break;
            case MapVerdict::remapped:
                r.remap_to->submit(std::move(piece));
                break;
            case MapVerdict::kill:
                complete_later(ctx, piece, -EIO);
                break;
            case MapVerdict::requeue:
                // The piece goes back with its absolute sector so it re-routes after resume.
                piece.sector += slot.begin;
                requeue(std::move(piece));
                break;
        }
    };

    if (bio.op == BioOp::flush) {
        // __send_empty_flush: num_flush_bios clones to every target that asks for them.
        for (const auto& slot : slots_) {
            for (unsigned n = 0; n < slot.num_flush_bios; ++n) {
                Bio piece;
                piece.op = BioOp::flush;
                piece.target_bio_nr = n;
                issue(slot, std::move(piece));
            }
        }
        // The splitter's own reference goes after this handler (finish_later), so that done()
        // never runs inside submit().
        finish_later(ctx, std::move(splitter), 0);
        return;
    }

    Sector sector = bio.sector;
    std::uint64_t left = bio.sectors;
    std::byte* data = bio.data;
    int early = 0;
    while (left > 0) {
        const Slot* slot = find(sector);
        if (slot == nullptr) {
            early = -EIO;
            break;
        }
        const Sector offset = sector - slot->begin;
        std::uint64_t len = std::min<std::uint64_t>(left, slot->len - offset);
        if (slot->max_io_len != 0)
            len = std::min(len, slot->max_io_len - offset % slot->max_io_len);
        if (bio.op == BioOp::discard && slot->num_discard_bios == 0) {
            early = -EOPNOTSUPP;
        } else {
            Bio piece;
            piece.op = bio.op;
            piece.sector = offset;
            piece.sectors = len;
            piece.data = data;
            piece.fua = bio.fua;
            issue(*slot, std::move(piece));
        }
        sector += len;
        left -= len;
        if (data != nullptr && bio.has_data()) data += len << kSectorShift;
    }
    finish_later(ctx, std::move(splitter), early);
}

}  // namespace dmemu::emu
