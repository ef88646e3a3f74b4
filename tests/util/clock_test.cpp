// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/clock.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <chrono>
#include <vector>

namespace dmemu::emu {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

TEST(VirtualClock, JumpsToNextDeadlineWhenIdle) {
    asio::io_context ctx;
    VirtualClock clock(ctx);
    std::vector<int> fired;
    clock.call_after(15s, [&] { fired.push_back(15); });
    clock.call_after(2s, [&] { fired.push_back(2); });
    EXPECT_TRUE(clock.run_until_idle());
    EXPECT_EQ(fired, (std::vector<int>{2, 15}));
    EXPECT_EQ(clock.now().time_since_epoch(), Duration(15s));
}

TEST(VirtualClock, CancelledTimerNeverFires) {
    asio::io_context ctx;
    VirtualClock clock(ctx);
    bool fired = false;
    const TimerId id = clock.call_after(1s, [&] { fired = true; });
    clock.cancel(id);
    clock.run_until_idle();
    EXPECT_FALSE(fired);
    EXPECT_EQ(clock.now().time_since_epoch(), Duration(0));
}

TEST(VirtualClock, AdvanceStopsAtTarget) {
    asio::io_context ctx;
    VirtualClock clock(ctx);
    int fired = 0;
    clock.call_after(1s, [&] { ++fired; });
    clock.call_after(10s, [&] { ++fired; });
    clock.advance(5s);
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(clock.now().time_since_epoch(), Duration(5s));
    EXPECT_EQ(clock.pending_timers(), 1u);
}

TEST(Sleep, CoroutineWakesAtVirtualDeadline) {
    asio::io_context ctx;
    VirtualClock clock(ctx);
    Sleep sleep(clock);
    bool woke = false;
    TimePoint at{};
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            woke = co_await sleep.for_(15s);
            at = clock.now();
        },
        asio::detached);
    clock.run_until_idle();
    EXPECT_TRUE(woke);
    EXPECT_EQ(at.time_since_epoch(), Duration(15s));
}

TEST(Sleep, CancelWakesEarlyWithFalse) {
    asio::io_context ctx;
    VirtualClock clock(ctx);
    Sleep sleep(clock);
    std::optional<bool> result;
    asio::co_spawn(
        ctx, [&]() -> asio::awaitable<void> { result = co_await sleep.for_(15s); }, asio::detached);
    clock.call_after(1s, [&] { sleep.cancel(); });
    clock.run_until_idle();
    ASSERT_TRUE(result.has_value());
    EXPECT_FALSE(*result);
    EXPECT_EQ(clock.now().time_since_epoch(), Duration(1s));
}

TEST(RealClock, FiresOnTheLoop) {
    asio::io_context ctx;
    RealClock clock(ctx);
    bool fired = false;
    clock.call_after(1ms, [&] { fired = true; });
    ctx.run_for(2s);
    EXPECT_TRUE(fired);
}

// One Asio timer serves every deadline: order by deadline (then call order), cancelled ones
// never fire, an earlier deadline added later still fires first, and a deadline added by a
// callback after a cancelled earliest one is not delayed.
TEST(RealClock, FiresInDeadlineOrderAndSkipsCancelled) {
    asio::io_context ctx;
    RealClock clock(ctx);
    std::vector<int> order;
    clock.call_after(30ms, [&] { order.push_back(3); });
    const TimerId cancelled = clock.call_after(5ms, [&] { order.push_back(99); });
    clock.call_after(10ms, [&] {
        order.push_back(1);
        clock.call_after(1ms, [&] { order.push_back(2); });  // before the 30 ms one
    });
    clock.call_after(10ms, [&] { order.push_back(11); });  // same deadline: call order
    clock.cancel(cancelled);
    clock.cancel(cancelled);  // twice is harmless
    ctx.run_for(500ms);
    EXPECT_EQ(order, (std::vector<int>{1, 11, 2, 3}));
}

TEST(RealClock, DestroyedWithPendingTimersFiresNothing) {
    asio::io_context ctx;
    bool fired = false;
    {
        RealClock clock(ctx);
        clock.call_after(1ms, [&] { fired = true; });
    }
    ctx.run_for(50ms);
    EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace dmemu::emu
