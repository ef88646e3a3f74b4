// SPDX-License-Identifier: GPL-2.0-only
//   wait-sync DEVICE [timeout=10m] [interval=1s]
// Polls the device's INFO status, as LVM's poll daemon does, until every mirror target in it
// reports <in-sync>/<regions> with both equal. Fails after the timeout with the counts it saw
// last (a mirror whose sync count never reaches its region count).
#include <fmt/format.h>

#include "emu/sim/mirror_status.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/units.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

class WaitSyncStep final : public Step {
public:
    WaitSyncStep(std::string device, emu::Duration timeout, emu::Duration interval)
        : device_(std::move(device)), timeout_(timeout), interval_(interval) {}

    asio::awaitable<StepResult> run(World& world) override {
        const auto start = world.clock().now();
        emu::Sleep sleep(world.clock());
        std::string last = "no status";
        for (;;) {
            emu::DmRequest req;
            req.cmd = emu::DmCommand::table_status;
            req.name = device_;
            auto reply = co_await world.channel().call(std::move(req));
            if (reply.error != 0)
                co_return StepResult::fail(
                    fmt::format("wait-sync {}: status failed: {}", device_, reply.error));
            auto mirrors = mirror_sync(reply.targets);
            if (mirrors.empty())
                co_return StepResult::fail("wait-sync " + device_ +
                                           ": no mirror target in its table");
            bool all = true;
            last.clear();
            for (const auto& m : mirrors) {
                if (!last.empty()) last += ", ";
                last += fmt::format("{}/{}", m.in_sync, m.regions);
                all = all && m.in_sync == m.regions;
            }
            const auto waited = world.clock().now() - start;
            if (all)
                co_return StepResult::pass("in sync (" + last + ") after " +
                                           format_duration(waited));
            if (waited >= timeout_)
                co_return StepResult::fail(fmt::format("wait-sync {}: not in sync after {}: {}",
                                                       device_, format_duration(timeout_), last));
            co_await sleep.for_(interval_);
        }
    }
    emu::Duration limit() const override { return timeout_ + std::chrono::minutes(10); }

private:
    std::string device_;
    emu::Duration timeout_, interval_;
};

std::unique_ptr<Step> make_wait_sync(StepArgs& a) {
    emu::Duration timeout = std::chrono::minutes(10), interval = std::chrono::seconds(1);
    if (auto v = a.option("timeout")) timeout = a.duration(*v, "the timeout");
    if (auto v = a.option("interval")) interval = a.duration(*v, "the poll interval");
    if (interval.count() == 0) a.fail("expected a non-zero interval");
    a.no_more_options();
    a.require(1, 1);
    return std::make_unique<WaitSyncStep>(a[0], timeout, interval);
}

}  // namespace

void register_sync_steps(StepRegistry& r) {
    r.add(StepKind{"wait-sync", "wait-sync DEVICE [timeout=10m] [interval=1s]", make_wait_sync});
}

}  // namespace dmemu::scenario
