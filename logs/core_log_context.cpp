// SPDX-License-Identifier: GPL-2.0-only
#include "logs/core_log_context.hpp"

#include <bit>
#include <climits>

#include "emu/util/kernel_log.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::logs {

namespace {
constexpr std::string_view kPrefix = "dirty region log";
}

std::optional<LogArgs> parse_log_args(emu::TargetContext& ti,
                                      const std::vector<std::string>& args) {
    auto& klog = ti.env.kernel_log();
    LogArgs out;
    if (args.empty() || args.size() > 2) {
        klog.warn(kPrefix, "wrong number of arguments to dirty region log");
        return std::nullopt;
    }
    if (args.size() > 1) {
        if (args[1] == "sync") {
            out.sync = LogSync::forcesync;
        } else if (args[1] == "nosync") {
            out.sync = LogSync::nosync;
        } else {
            klog.warn(kPrefix, "unrecognised sync argument to dirty region log: {}", args[1]);
            return std::nullopt;
        }
    }
    // _check_region_size: a power of two, at least 2 sectors, no larger than the target.
    const auto size = emu::kernel_scan_u(args[0]);
    if (!size || *size < 2 || *size > ti.len || !std::has_single_bit(*size)) {
        klog.warn(kPrefix, "invalid region size {}", args[0]);
        return std::nullopt;
    }
    out.region_size = *size;
    out.region_count = (ti.len + *size - 1) / *size;
    if (out.region_count > UINT_MAX) {
        klog.warn(kPrefix, "region count exceeds limit of {}", UINT_MAX);
        return std::nullopt;
    }
    return out;
}

CoreLogContext::CoreLogContext(const LogArgs& args)
    : region_size_(args.region_size),
      region_count_(args.region_count),
      sync_(args.sync),
      // bitset_uint32_count: regions rounded up to whole 32-bit words.
      clean_bits_((args.region_count + 31) / 32, ~0u),
      sync_bits_((args.region_count + 31) / 32, args.sync == LogSync::nosync ? ~0u : 0u),
      recovering_bits_((args.region_count + 31) / 32, 0u),
      sync_count_(args.sync == LogSync::nosync ? args.region_count : 0) {}

// core_get_resync_work: the next region not in sync and not already being recovered; the
// search cursor only moves forward until the next resume.
asio::awaitable<int> CoreLogContext::get_resync_work(Region* region) {
    while (sync_search_ < region_count_) {
        Region r = sync_search_;
        while (r < region_count_ && test(sync_bits_, r)) ++r;
        sync_search_ = r + 1;
        if (r >= region_count_) co_return 0;
        if (test(recovering_bits_, r)) continue;
        set_bit(recovering_bits_, r);
        *region = r;
        co_return 1;
    }
    co_return 0;
}

asio::awaitable<void> CoreLogContext::set_region_sync(Region region, bool in_sync) {
    clear_bit(recovering_bits_, region);
    if (in_sync) {
        set_bit(sync_bits_, region);
        ++sync_count_;  // the kernel counts again even if the bit was set
    } else if (test(sync_bits_, region)) {
        --sync_count_;
        clear_bit(sync_bits_, region);
    }
    co_return;
}

std::string CoreLogContext::sync_word() const {
    switch (sync_) {
        case LogSync::defaultsync:
            return {};
        case LogSync::nosync:
            return "nosync ";
        case LogSync::forcesync:
            return "sync ";
    }
    return {};
}

Region CoreLogContext::count_bits(const std::vector<std::uint32_t>& bits) {
    Region n = 0;
    for (auto w : bits) n += static_cast<Region>(std::popcount(w));
    return n;
}

}  // namespace dmemu::logs
