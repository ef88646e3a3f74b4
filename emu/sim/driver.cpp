// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "emu/sim/world.hpp"
#include "emu/util/async_mutex.hpp"

namespace dmemu::scenario {

bool drive(World& world, const std::function<bool()>& done, emu::TimePoint deadline) {
    auto& clock = world.clock();
    for (;;) {
        clock.settle();
        if (done()) return true;
        const auto next = clock.next_deadline();
        if (!next || *next > deadline) {
            if (clock.now() < deadline) clock.advance(deadline - clock.now());
            return done();
        }
        clock.advance(*next - clock.now());
    }
}

bool run_coroutine(World& world, std::function<asio::awaitable<void>()> make, emu::Duration limit) {
    auto finished = std::make_shared<bool>(false);
    asio::co_spawn(
        world.context(),
        [make = std::move(make), finished]() -> asio::awaitable<void> {
            co_await make();
            *finished = true;
        },
        asio::detached);
    return drive(
        world, [&] { return *finished; }, world.clock().now() + limit);
}

asio::awaitable<StepResult> run_step(Step& step, World& world) {
    try {
        StepResult r = co_await step.run(world);
        co_return r;
    } catch (const std::exception& e) {
        co_return StepResult::fail(std::string("scenario: internal error: ") + e.what());
    }
}

namespace {
struct Bounded {
    explicit Bounded(asio::io_context& ctx) : done(ctx) {}
    std::optional<StepResult> result;
    emu::AsyncEvent done;
};
}  // namespace

asio::awaitable<std::optional<StepResult>> run_bounded(Step& step, World& world,
                                                       emu::Duration limit) {
    auto state = std::make_shared<Bounded>(world.context());
    asio::co_spawn(
        world.context(),
        [&step, &world, state]() -> asio::awaitable<void> {
            StepResult r = co_await run_step(step, world);
            state->result = std::move(r);
            state->done.set();
        },
        asio::detached);
    const emu::TimerId timer = world.clock().call_after(limit, [state] { state->done.set(); });
    co_await state->done.wait();
    world.clock().cancel(timer);
    co_return state->result;
}

}  // namespace dmemu::scenario
