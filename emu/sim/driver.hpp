// SPDX-License-Identifier: GPL-2.0-only
// Runs a world's loop on its virtual clock until something is done.
//
// drive(): run everything runnable; when nothing is, jump the clock to the next timer; stop the
// moment done() holds, or when the next timer lies past the deadline (the clock then stands at
// the deadline: the caller waited that long). Periodic timers (the kernel's 2 s reconnect loop,
// background I/O) therefore never drag time past the end of a step.
//
// run_bounded(): inside a coroutine, runs a step with a limit of virtual time; the step's
// coroutine keeps running detached if the limit passes (a hung step stays hung).
#pragma once

#include <functional>
#include <optional>

#include "emu/sim/step.hpp"

namespace dmemu::scenario {

bool drive(World& world, const std::function<bool()>& done, emu::TimePoint deadline);

// Spawns make() on the loop and drives until it returns or `limit` passes. True if it returned.
bool run_coroutine(World& world, std::function<asio::awaitable<void>()> make, emu::Duration limit);

// A step's result, exceptions turned into failures (a step must never take the run down).
asio::awaitable<StepResult> run_step(Step& step, World& world);

// nullopt when the step did not finish within `limit`.
asio::awaitable<std::optional<StepResult>> run_bounded(Step& step, World& world,
                                                       emu::Duration limit);

}  // namespace dmemu::scenario
