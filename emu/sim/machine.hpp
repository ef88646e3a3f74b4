// SPDX-License-Identifier: GPL-2.0-only
// One boot of the emulated machine: what a power cut throws away and a restart builds anew. Its
// virtual clock (on the world's one loop: the disks' media complete their bios there, and they
// outlive the machine), the kernel log, the device mapper with the built-in targets and
// its disks (FaultyDisks), the log server (dmemu's model in the run's match mode, or a real
// cmirrord), the kernel side of the
// userspace-log transport (sending through a CuttableCarrier so `cut` faults work), the transport
// faults on the link, the log-server crash trigger, and the dmsetup channel into the mapper.
//
// Hooks on the link, in this order: the wire observer (it sees messages as sent, before any
// fault), the transport faults, the crash trigger (it sees what reaches the server).
//
// A machine whose power was cut is never destroyed: coroutines of its devices still wait on its
// objects (a held write, a reconnect loop), so it is kept (world.cpp), exactly as the runner keeps
// a world whose teardown hung. power_off() silences it first: its clock is never advanced again
// (its timers never fire), its link is cut both ways, its kernel lines no longer reach the trace.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/io_context.hpp>
#include <memory>

#include "emu/core/device_mapper.hpp"
#include "emu/core/target_registry.hpp"
#include "emu/sim/crash_trigger.hpp"
#include "emu/sim/log_server_side.hpp"
#include "emu/sim/trace.hpp"
#include "emu/sim/ulog_observer.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "tools/dmsetup/ioctl_channel.hpp"
#include "transfer/faults/cuttable_carrier.hpp"
#include "transfer/faults/transport_faults.hpp"
#include "transfer/kernel_endpoint.hpp"

namespace dmemu::scenario {

struct Machine {
    // `start`: the virtual time the machine boots at (0, or the moment of the power cut).
    // `rng`: the mapper's randomness (the run's Rng on the first boot, a named stream after).
    // `server`: the log server, built on ctx (log_server_side.hpp).
    Machine(boost::asio::io_context& ctx, emu::TimePoint start, emu::Rng rng,
            const emu::Rng& run_rng, std::unique_ptr<LogServerSide> server, Trace& trace,
            std::shared_ptr<UlogObserver> observer);
    ~Machine();
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // After a power cut: nothing of this machine acts on or reports to the world again.
    void power_off();

    boost::asio::io_context& ctx;
    emu::VirtualClock clock{ctx};
    std::shared_ptr<bool> on = std::make_shared<bool>(true);  // kernel lines go to the trace
    emu::Rng rng;
    emu::KernelLog klog;
    emu::TargetRegistry targets;
    emu::DeviceMapper dm;
    std::unique_ptr<LogServerSide> server;
    transfer::CuttableCarrier cuttable;
    transfer::KernelEndpoint endpoint;
    std::unique_ptr<transfer::TransportFaults> transport;
    std::shared_ptr<CrashTrigger> crash;
    std::unique_ptr<dmsetup::IoctlChannel> channel;
};

}  // namespace dmemu::scenario
