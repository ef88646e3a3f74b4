// SPDX-License-Identifier: GPL-2.0-only
// dm-striped: spreads chunks round-robin over several devices (drivers/md/dm-stripe.c).
//
// Table:  <#stripes> <chunk_sectors> [<dev> <offset>]{#stripes}
// TABLE status: "<#stripes> <chunk> <dev> <offset>..."  e.g. "2 128 8:16 0 8:32 0"
// INFO status:  "<#stripes> <dev>... 1 <A|D per stripe>" e.g. "2 8:16 8:32 1 AA"
// A stripe shows D once an I/O to it has failed; errors raise a table event while a stripe's
// error count is below 15 (stripe_end_io), as the kernel's dm_stripe trigger_event does.
#include <fmt/format.h>

#include <cerrno>

#include "emu/targets/builtin.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr unsigned kMaxStripeErrors = 15;  // DM_IO_ERROR_THRESHOLD

struct Stripe {
    std::shared_ptr<DeviceRef> dev;
    Sector physical_start;
    unsigned error_count = 0;
};

class StripedTarget final : public Target {
public:
    StripedTarget(TableEnvironment& env, std::vector<Stripe> stripes, std::uint32_t chunk,
                  Sector width)
        : env_(env), stripes_(std::move(stripes)), chunk_(chunk), width_(width) {}

    MapResult map(Bio& bio) override {
        if (bio.op == BioOp::flush) {
            Stripe& s = stripes_[bio.target_bio_nr];
            watch(s, bio);
            return MapResult::remap(&s.dev->device());
        }
        // stripe_map_sector: the core split the bio at chunk boundaries (max_io_len).
        const Sector chunk_nr = bio.sector / chunk_;
        const Sector offset = bio.sector % chunk_;
        const std::size_t stripe = chunk_nr % stripes_.size();
        const Sector stripe_chunk = chunk_nr / stripes_.size();
        Stripe& s = stripes_[stripe];
        bio.sector = s.physical_start + stripe_chunk * chunk_ + offset;
        watch(s, bio);
        return MapResult::remap(&s.dev->device());
    }

    asio::awaitable<std::string> status(StatusType type) override {
        std::string out;
        if (type == StatusType::info) {
            out = fmt::format("{} ", stripes_.size());
            for (const auto& s : stripes_) out += s.dev->name() + " ";
            out += "1 ";
            for (const auto& s : stripes_) out += s.error_count > 0 ? 'D' : 'A';
        } else {
            out = fmt::format("{} {}", stripes_.size(), chunk_);
            for (const auto& s : stripes_)
                out += fmt::format(" {} {}", s.dev->name(), s.physical_start);
        }
        co_return out;
    }

    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        for (const auto& s : stripes_) fn(*s.dev, s.physical_start, width_);
    }

private:
    // stripe_end_io: count I/O errors per stripe (not for reads-ahead, which we do not issue).
    void watch(Stripe& s, Bio& bio) {
        bio.done = [this, &s, done = std::move(bio.done)](int err) {
            if (err != 0 && err != -EOPNOTSUPP) {
                if (s.error_count < kMaxStripeErrors) {
                    ++s.error_count;
                    env_.table_event();
                }
            }
            done(err);
        };
    }

    TableEnvironment& env_;
    std::vector<Stripe> stripes_;
    std::uint32_t chunk_;
    Sector width_;
};

asio::awaitable<TargetCtrResult> stripe_ctr(TargetContext& ti, std::vector<std::string> argv) {
    auto fail = [&ti](const char* why, int err = -EINVAL) {
        ti.error = why;
        return TargetCtrResult::fail(err);
    };
    if (argv.size() < 2) co_return fail("Not enough arguments");
    const auto stripes = kernel_kstrtouint(argv[0]);
    if (!stripes || *stripes == 0) co_return fail("Invalid stripe count");
    const auto chunk = kernel_kstrtouint(argv[1]);
    if (!chunk || *chunk == 0) co_return fail("Invalid chunk_size");
    if (ti.len % *stripes != 0) co_return fail("Target length not divisible by number of stripes");
    const Sector width = ti.len / *stripes;
    if (width % *chunk != 0) co_return fail("Target length not divisible by chunk size");
    // Do we have enough arguments for that many stripes?
    if (argv.size() != 2 + 2 * std::size_t(*stripes))
        co_return fail("Not enough destinations specified");

    std::vector<Stripe> list;
    for (unsigned i = 0; i < *stripes; ++i) {
        const auto start = kernel_scan_ull(argv[3 + 2 * i]);  // sscanf "%llu%c"
        int err = 0;
        if (!start) co_return fail("Couldn't parse stripe destination");
        auto dev = ti.get_device(argv[2 + 2 * i], &err);
        if (!dev) co_return fail("Couldn't parse stripe destination", err);
        list.push_back(Stripe{std::move(dev), *start});
    }
    ti.max_io_len = *chunk;
    ti.num_flush_bios = *stripes;
    ti.num_discard_bios = *stripes;
    ti.io_min_bytes = static_cast<std::uint32_t>(std::uint64_t(*chunk) * kSectorSize);
    ti.io_opt_bytes = static_cast<std::uint32_t>(std::uint64_t(*chunk) * kSectorSize * *stripes);
    co_return TargetCtrResult{
        std::make_unique<StripedTarget>(ti.env, std::move(list), *chunk, width)};
}

}  // namespace

const TargetType striped_target{"striped", {1, 6, 0}, stripe_ctr};

}  // namespace dmemu::emu
