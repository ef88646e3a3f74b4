// SPDX-License-Identifier: GPL-2.0-only
// The machine's power:
//   power-cut    the whole emulator stops and restarts from what the disks durably hold
//                (World::power_cut): every disk's FaultyDisk::power_cut() gives its media, a new
//                device mapper adopts them under the same names and numbers, a fresh log server
//                listens, no mapped device exists until later steps create them again. I/O in
//                flight is lost, not failed; `expect data-intact` then accepts for each sector
//                what was durably acknowledged, or a write lost in flight (docs/scenarios.md).
#include "emu/sim/step_registry.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

class PowerCutStep final : public Step {
public:
    asio::awaitable<StepResult> run(World& world) override {
        std::string error = co_await world.power_cut();
        if (!error.empty()) co_return StepResult::fail(error);
        co_return StepResult::pass();
    }
};

std::unique_ptr<Step> make_power_cut(StepArgs& a) {
    a.require(0, 0);
    return std::make_unique<PowerCutStep>();
}

}  // namespace

void register_power_steps(StepRegistry& r) {
    r.add(StepKind{"power-cut", "power-cut", make_power_cut});
}

}  // namespace dmemu::scenario
