// SPDX-License-Identifier: GPL-2.0-only
// A whole device mapper on a virtual clock with a fixed seed, and helpers that run one ioctl or
// coroutine to completion. Shared by the core and target suites.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"

namespace dmemu::emu::testing {

class CoreFixture : public ::testing::Test {
protected:
    CoreFixture() : clock_(ctx_), rng_(1), dm_(ctx_, clock_, rng_, klog_, registry_, options()) {
        klog_.set_echo(false);
        register_builtin_targets(registry_);
    }
    static DeviceMapper::Options options() {
        DeviceMapper::Options o;
        o.dm_major = 254;
        return o;
    }

    template <typename T>
    T run(boost::asio::awaitable<T> aw) {
        std::optional<T> out;
        boost::asio::co_spawn(
            ctx_, [&]() -> boost::asio::awaitable<void> { out = co_await std::move(aw); },
            boost::asio::detached);
        clock_.run_until_idle();
        EXPECT_TRUE(out.has_value()) << "coroutine did not finish";
        return out ? std::move(*out) : T{};
    }

    DmReply ioctl(DmRequest r) { return run(dm_.ioctl(std::move(r))); }

    DmReply add_ram(const std::string& name, Sector sectors,
                    std::optional<DevT> devt = std::nullopt) {
        DmRequest r;
        r.cmd = DmCommand::disk_add;
        r.name = name;
        r.size_sectors = sectors;
        r.devt = devt;
        return ioctl(r);
    }
    DmReply create(const std::string& name, const std::string& uuid = {}) {
        DmRequest r;
        r.cmd = DmCommand::dev_create;
        r.name = name;
        r.uuid = uuid;
        return ioctl(r);
    }
    DmReply load(const std::string& name, const std::string& table, bool read_only = false) {
        DmRequest r;
        r.cmd = DmCommand::table_load;
        r.name = name;
        r.read_only = read_only;
        std::string err;
        auto specs = parse_table_text(table, "", &err);
        EXPECT_TRUE(specs.has_value()) << err;
        if (specs) r.targets = *specs;
        return ioctl(r);
    }
    DmReply simple(DmCommand cmd, const std::string& name) {
        DmRequest r;
        r.cmd = cmd;
        r.name = name;
        return ioctl(r);
    }
    DmReply suspend(const std::string& name) {
        DmRequest r;
        r.cmd = DmCommand::dev_suspend;
        r.name = name;
        r.suspend = true;
        return ioctl(r);
    }
    DmReply resume(const std::string& name) { return simple(DmCommand::dev_suspend, name); }
    DmReply info(const std::string& name) { return simple(DmCommand::dev_status, name); }
    DmReply status(const std::string& name, bool table = false, bool inactive = false) {
        DmRequest r;
        r.cmd = DmCommand::table_status;
        r.name = name;
        r.status_table = table;
        r.inactive = inactive;
        return ioctl(r);
    }
    // A block-fault request (fault_add, fault_list, fault_remove, fault_clear) for `disk`.
    DmReply fault(DmCommand cmd, const std::string& disk, const std::string& spec = {},
                  std::uint64_t id = 0) {
        DmRequest r;
        r.cmd = cmd;
        r.name = disk;
        r.message = spec;
        r.fault_id = id;
        return ioctl(r);
    }
    // create + load + resume, as `dmsetup create --table` does.
    void activate(const std::string& name, const std::string& table, const std::string& uuid = {}) {
        ASSERT_EQ(create(name, uuid).error, 0);
        ASSERT_EQ(load(name, table).error, 0);
        ASSERT_EQ(resume(name).error, 0);
    }
    std::vector<std::string> kernel_lines_since(std::uint64_t seq) const {
        std::vector<std::string> out;
        for (auto& l : klog_.since(seq)) out.push_back(l.text);
        return out;
    }

    // Synchronous block I/O on a device through the loop.
    int io(BlockDevice& dev, BioOp op, Sector sector, std::vector<std::byte>& buf) {
        std::optional<int> result;
        Bio bio;
        bio.op = op;
        bio.sector = sector;
        bio.sectors = buf.size() / kSectorSize;
        bio.data = buf.data();
        bio.done = [&](int err) { result = err; };
        dev.submit(std::move(bio));
        clock_.run_until_idle();
        return result.value_or(1);
    }

    boost::asio::io_context ctx_;
    VirtualClock clock_;
    Rng rng_;
    KernelLog klog_;
    TargetRegistry registry_;
    DeviceMapper dm_;
};

}  // namespace dmemu::emu::testing
