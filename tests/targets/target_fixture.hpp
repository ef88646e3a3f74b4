// SPDX-License-Identifier: GPL-2.0-only
// Target tests on the oracle guest in miniature (oracle_guest_fixture.hpp): helpers print
// status lines as dmsetup does, send messages, and submit bios whose completion (error and
// virtual time) a test can inspect while time is stepped by hand.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/core/oracle_guest_fixture.hpp"

namespace dmemu::emu::testing {

class TargetFixture : public OracleGuestFixture {
protected:
    // One ioctl run on the loop without moving virtual time (ioctl() runs the clock until idle,
    // which would release every bio a delay target holds).
    DmReply ioctl_now(DmRequest req) {
        std::optional<DmReply> out;
        boost::asio::co_spawn(
            ctx_,
            [&]() -> boost::asio::awaitable<void> { out = co_await dm_.ioctl(std::move(req)); },
            boost::asio::detached);
        clock_.advance(Duration::zero());
        EXPECT_TRUE(out.has_value()) << "ioctl waited for virtual time";
        return out ? std::move(*out) : DmReply{};
    }

    // "0 131072 flakey 1:0 0 5 5 0 " as `dmsetup table` / `dmsetup status` print one target.
    std::string line(const std::string& name, bool table) {
        DmRequest req;
        req.cmd = DmCommand::table_status;
        req.name = name;
        req.status_table = table;
        auto r = ioctl_now(req);
        EXPECT_EQ(r.error, 0);
        if (r.targets.size() != 1) return "<" + std::to_string(r.targets.size()) + " targets>";
        const auto& t = r.targets[0];
        return std::to_string(t.start) + " " + std::to_string(t.length) + " " + t.type + " " +
               t.params;
    }
    std::string table_line(const std::string& name) { return line(name, true); }
    std::string status_line(const std::string& name) { return line(name, false); }

    DmReply message(const std::string& name, const std::string& text, Sector sector = 0) {
        DmRequest r;
        r.cmd = DmCommand::target_msg;
        r.name = name;
        r.sector = sector;
        r.message = text;
        return ioctl_now(r);
    }

    // The kernel lines one load produced, e.g. after a failed create.
    std::vector<std::string> load_lines(const std::string& name, const std::string& table,
                                        int* err) {
        const auto before = klog_.last_seq();
        *err = load(name, table).error;
        return kernel_lines_since(before);
    }

    MappedDevice& dev(const std::string& name) {
        auto md = dm_.find_mapped(name);
        EXPECT_NE(md, nullptr);
        return *md;
    }

    using Pending = PendingBio;
    std::shared_ptr<Pending> submit(const std::string& name, BioOp op, Sector sector,
                                    Sector sectors, unsigned char seed = 0, bool fua = false) {
        return submit_pending(dev(name), clock_, op, sector, sectors, seed, fua);
    }
    // Submits and runs the loop (without moving time) until the bio is done; returns its error.
    int io_now(const std::string& name, BioOp op, Sector sector, Sector sectors,
               std::vector<std::byte>* buf = nullptr, unsigned char seed = 0, bool fua = false) {
        auto p = submit(name, op, sector, sectors, seed, fua);
        clock_.advance(Duration::zero());
        if (buf) *buf = p->buf;
        return p->err.value_or(1);
    }
    void advance_to(Duration since_epoch) {
        clock_.advance(since_epoch - clock_.now().time_since_epoch());
    }
};

}  // namespace dmemu::emu::testing
