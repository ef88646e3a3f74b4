// SPDX-License-Identifier: GPL-2.0-only
#include "tests/cli/emulator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <stdexcept>

#include "emu/targets/builtin.hpp"

namespace dmemu::cli_test {

namespace {

emu::TargetRegistry& registered(emu::TargetRegistry& r) {
    emu::register_builtin_targets(r);
    return r;
}

emu::DeviceMapper::Options options(std::uint32_t dm_major) {
    emu::DeviceMapper::Options o;
    o.dm_major = dm_major;
    return o;
}

}  // namespace

Emulator::Emulator(std::uint32_t dm_major)
    : dm_(ctx_, clock_, rng_, klog_, registered(targets_), options(dm_major)) {
    klog_.set_echo(false);
}

dmsetup::DmsetupResult Emulator::dmsetup(std::vector<std::string> argv, std::string stdin_text,
                                         dmsetup::Terminal terminal) {
    bool done = false;
    std::exception_ptr failure;
    dmsetup::DmsetupResult result;
    boost::asio::co_spawn(
        ctx_, dmsetup::run_dmsetup(channel_, std::move(argv), std::move(stdin_text), terminal),
        [&](std::exception_ptr e, dmsetup::DmsetupResult r) {
            failure = e;
            result = std::move(r);
            done = true;
        });
    clock_.advance(std::chrono::nanoseconds(0));
    // Virtual time moves only while the command waits on it (retry delays, target timers).
    // (A while, not a for: `done` changes in the completion, which clang's loop analysis misses.)
    int step = 0;
    while (!done) {
        if (++step > 360'000) throw std::runtime_error("dmsetup did not finish within 1 h virtual");
        clock_.advance(std::chrono::milliseconds(10));
    }
    if (failure) std::rethrow_exception(failure);
    return result;
}

void Emulator::add_ram_disks(int n, emu::Sector sectors) {
    for (int i = 0; i < n; ++i) {
        emu::DmRequest req;
        req.cmd = emu::DmCommand::disk_add;
        req.name = "ram" + std::to_string(i);
        req.size_sectors = sectors;
        req.devt = emu::DevT{1, static_cast<std::uint32_t>(i)};
        bool done = false;
        emu::DmReply reply;
        boost::asio::co_spawn(ctx_, dm_.ioctl(req), [&](std::exception_ptr, emu::DmReply r) {
            reply = std::move(r);
            done = true;
        });
        clock_.advance(std::chrono::nanoseconds(0));
        if (!done || reply.error != 0)
            throw std::runtime_error("disk_add " + req.name + " failed: " + reply.detail);
    }
}

}  // namespace dmemu::cli_test
