// SPDX-License-Identifier: GPL-2.0-only
// The "core" dirty log: region state kept in memory only (drivers/md/dm-log.c, core_*).
//
// Log args:    <region_size> [sync|nosync]
// TABLE:       "core <1|2> <region_size> [sync |nosync ]"   e.g. "core 1 1024 " (trailing space)
// INFO:        "1 core"
// A fresh core log knows nothing, so every region needs recovery unless "nosync" is given.
#include <fmt/format.h>

#include <cerrno>

#include "logs/core_log_context.hpp"

namespace dmemu::logs {

namespace {

class CoreLog final : public CoreLogContext {
public:
    explicit CoreLog(const LogArgs& args) : CoreLogContext(args) {}

    // core_resume: only the resync search restarts.
    asio::awaitable<int> resume() override {
        sync_search_ = 0;
        co_return 0;
    }
    asio::awaitable<int> flush() override { co_return 0; }

    asio::awaitable<std::string> status(emu::StatusType type) override {
        if (type == emu::StatusType::info) co_return std::string("1 core");
        co_return fmt::format("core {} {} {}", sync_ == LogSync::defaultsync ? 1 : 2, region_size_,
                              sync_word());
    }
};

asio::awaitable<DirtyLogCtrResult> core_ctr(emu::TargetContext& ti, std::vector<std::string> args) {
    const auto parsed = parse_log_args(ti, args);
    if (!parsed) co_return DirtyLogCtrResult::fail(-EINVAL);
    co_return DirtyLogCtrResult{std::make_unique<CoreLog>(*parsed)};
}

}  // namespace

extern const DirtyLogType core_log_type;
const DirtyLogType core_log_type{"core", core_ctr};

}  // namespace dmemu::logs
