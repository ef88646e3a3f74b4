// SPDX-License-Identifier: GPL-2.0-only
// An in-process emulator for CLI tests: one io_context driven by a VirtualClock, a fixed seed,
// the built-in targets, a DeviceMapper, and run_dmsetup over an InProcessChannel. Commands run
// to completion on the virtual clock (a `remove --retry` waits its 24 x 200 ms in microseconds).
#pragma once

#include <string>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/core/target_registry.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "tools/dmsetup/dmsetup.hpp"
#include "tools/dmsetup/in_process_channel.hpp"

namespace dmemu::cli_test {

class Emulator {
public:
    explicit Emulator(std::uint32_t dm_major = 254);

    // `terminal`: what dmsetup's stdout is (default: no terminal, C locale, as in the oracle).
    dmsetup::DmsetupResult dmsetup(std::vector<std::string> argv, std::string stdin_text = {},
                                   dmsetup::Terminal terminal = {});
    // Disks ram0..ram<n-1>, devno 1:0.., `sectors` each (the oracle guest's brd disks).
    void add_ram_disks(int n, emu::Sector sectors);

    emu::DeviceMapper& dm() { return dm_; }
    emu::VirtualClock& clock() { return clock_; }
    emu::KernelLog& kernel_log() { return klog_; }
    const emu::TargetRegistry& targets() const { return targets_; }
    boost::asio::io_context& context() { return ctx_; }

private:
    boost::asio::io_context ctx_{1};
    emu::VirtualClock clock_{ctx_};
    emu::Rng rng_{1};
    emu::KernelLog klog_;
    emu::TargetRegistry targets_;
    emu::DeviceMapper dm_;
    dmsetup::InProcessChannel channel_{dm_};
};

}  // namespace dmemu::cli_test
