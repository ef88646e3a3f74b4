// SPDX-License-Identifier: GPL-2.0-only
// What a fuzzer that drives a whole device mapper builds for every input: a loop on a virtual
// clock, a fixed seed, a silent kernel log and the built-in targets. run() takes one coroutine
// to completion (or to where nothing more can happen).
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "emu/core/device_mapper.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"

namespace dmemu::fuzz {

struct FuzzDeviceMapper {
    boost::asio::io_context ctx;
    emu::VirtualClock clock{ctx};
    emu::Rng rng{1};
    emu::KernelLog klog;
    emu::TargetRegistry registry;
    emu::DeviceMapper dm{ctx, clock, rng, klog, registry_filled(), {}};

    void run(boost::asio::awaitable<void> work) {
        boost::asio::co_spawn(ctx, std::move(work), boost::asio::detached);
        clock.run_until_idle();
    }

private:
    emu::TargetRegistry& registry_filled() {
        klog.set_echo(false);
        emu::register_builtin_targets(registry);
        return registry;
    }
};

}  // namespace dmemu::fuzz
