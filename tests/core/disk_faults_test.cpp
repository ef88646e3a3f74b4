// SPDX-License-Identifier: GPL-2.0-only
// DeviceMapper's block-fault requests (emu/core/disk_faults.cpp): fault_add, fault_list (one
// disk, every disk), fault_remove, fault_clear, their errors with the daemon's words, faults
// acting on I/O through a table, a disk without faults behaving as before, and the requests'
// new fields surviving the control socket's JSON.
#include <cerrno>

#include "core_fixture.hpp"
#include "emu/core/dm_ioctl_json.hpp"

namespace dmemu::emu::testing {
namespace {

class DiskFaults : public CoreFixture {
protected:
    DiskFaults() {
        add_ram("ram0", 4096, DevT{1, 0});
        add_ram("ram1", 4096, DevT{1, 1});
    }
    DmReply add(const std::string& disk, const std::string& spec) {
        return fault(DmCommand::fault_add, disk, spec);
    }
    DmReply list(const std::string& disk = {}) { return fault(DmCommand::fault_list, disk); }
    // "disk/id" of every fault a list reply holds, in reply order.
    static std::vector<std::string> keys(const DmReply& r) {
        std::vector<std::string> out;
        for (const auto& f : r.faults) out.push_back(f.disk + "/" + std::to_string(f.id));
        return out;
    }
    int read(const std::string& mapped, Sector sector, std::size_t sectors) {
        std::vector<std::byte> buf(sectors * kSectorSize);
        return io(*dm_.find_mapped(mapped), BioOp::read, sector, buf);
    }
};

using Keys = std::vector<std::string>;

TEST_F(DiskFaults, AddRepliesWithTheInstalledFault) {
    const DmReply r = add("ram0", "eio sectors=100-199 op=read");
    ASSERT_EQ(r.error, 0) << r.detail;
    ASSERT_EQ(r.faults.size(), 1u);
    EXPECT_EQ(r.faults[0].disk, "ram0");
    EXPECT_EQ(r.faults[0].id, 1u);
    EXPECT_EQ(r.faults[0].kind, "eio");
    EXPECT_EQ(r.faults[0].spec, "eio sectors=100-199 op=read");
    EXPECT_EQ(r.faults[0].fired, 0u);
    EXPECT_EQ(add("ram0", "latency ms=5").faults.at(0).id, 2u);  // ids count per disk
}

TEST_F(DiskFaults, ListOneDiskOrEveryDisk) {
    ASSERT_EQ(add("ram1", "latency ms=5").error, 0);
    ASSERT_EQ(add("ram0", "eio").error, 0);
    ASSERT_EQ(add("ram0", "full at=2048").error, 0);
    EXPECT_EQ(keys(list("ram0")), (Keys{"ram0/1", "ram0/2"}));
    EXPECT_EQ(keys(list("ram1")), (Keys{"ram1/1"}));
    EXPECT_EQ(keys(list()), (Keys{"ram0/1", "ram0/2", "ram1/1"}));  // disks in name order
    EXPECT_EQ(list().faults.at(1).kind, "full");
}

TEST_F(DiskFaults, ListWithoutFaultsIsEmpty) {
    const DmReply r = list();
    EXPECT_EQ(r.error, 0);
    EXPECT_TRUE(r.faults.empty());
    EXPECT_TRUE(list("ram0").faults.empty());
}

TEST_F(DiskFaults, RemoveTakesOneFault) {
    ASSERT_EQ(add("ram0", "eio").error, 0);
    ASSERT_EQ(add("ram0", "latency ms=1").error, 0);
    EXPECT_EQ(fault(DmCommand::fault_remove, "ram0", {}, 1).error, 0);
    EXPECT_EQ(keys(list()), (Keys{"ram0/2"}));
}

TEST_F(DiskFaults, ClearOneDiskLeavesTheOthers) {
    ASSERT_EQ(add("ram0", "eio").error, 0);
    ASSERT_EQ(add("ram1", "eio").error, 0);
    EXPECT_EQ(fault(DmCommand::fault_clear, "ram0").error, 0);
    EXPECT_EQ(keys(list()), (Keys{"ram1/1"}));
}

TEST_F(DiskFaults, ClearWithoutNameClearsEveryDisk) {
    ASSERT_EQ(add("ram0", "eio").error, 0);
    ASSERT_EQ(add("ram1", "eio").error, 0);
    EXPECT_EQ(fault(DmCommand::fault_clear, "").error, 0);
    EXPECT_TRUE(list().faults.empty());
}

TEST_F(DiskFaults, UnknownDiskIsEnxioWithTheName) {
    for (DmCommand cmd : {DmCommand::fault_add, DmCommand::fault_list, DmCommand::fault_remove,
                          DmCommand::fault_clear}) {
        const DmReply r = fault(cmd, "nosuch", "eio", 1);
        EXPECT_EQ(r.error, -ENXIO) << to_string(cmd);
        EXPECT_EQ(r.detail, "fault: no disk named 'nosuch'") << to_string(cmd);
    }
}

TEST_F(DiskFaults, AddAndRemoveNeedADiskName) {
    const DmReply a = add("", "eio");
    EXPECT_EQ(a.error, -EINVAL);
    EXPECT_EQ(a.detail, "fault: a disk name is required");
    const DmReply r = fault(DmCommand::fault_remove, "", {}, 1);
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(r.detail, "fault: a disk name is required");
}

TEST_F(DiskFaults, BadSpecIsEinvalAndInstallsNothing) {
    const DmReply r = add("ram0", "eio sectors=200-100");
    EXPECT_EQ(r.error, -EINVAL);
    EXPECT_EQ(r.detail, "fault: eio: bad sector range '200-100' (FIRST-LAST or SECTOR)");
    EXPECT_TRUE(r.faults.empty());
    const DmReply kind = add("ram0", "flood");
    EXPECT_EQ(kind.error, -EINVAL);
    EXPECT_EQ(kind.detail.rfind("fault: unknown kind 'flood'", 0), 0u) << kind.detail;
    EXPECT_TRUE(list().faults.empty());
}

TEST_F(DiskFaults, RemovingAMissingFaultIsEnoent) {
    ASSERT_EQ(add("ram0", "eio").error, 0);
    const DmReply r = fault(DmCommand::fault_remove, "ram0", {}, 7);
    EXPECT_EQ(r.error, -ENOENT);
    EXPECT_EQ(r.detail, "fault: disk 'ram0' has no fault 7");
    EXPECT_EQ(keys(list()), (Keys{"ram0/1"}));
}

TEST_F(DiskFaults, DiskWithoutFaultsBehavesAsBefore) {
    activate("lin", "0 4096 linear /dev/ram0 0");
    std::vector<std::byte> w(8 * kSectorSize);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::byte(i * 7 & 0xff);
    ASSERT_EQ(io(*dm_.find_mapped("lin"), BioOp::write, 100, w), 0);
    std::vector<std::byte> r(w.size());
    ASSERT_EQ(io(*dm_.find_mapped("lin"), BioOp::read, 100, r), 0);
    EXPECT_EQ(r, w);
    std::vector<std::byte> flush;
    EXPECT_EQ(io(*dm_.find_mapped("lin"), BioOp::flush, 0, flush), 0);
    EXPECT_EQ(dm_.find_disk("ram0")->size_sectors(), 4096u);
    EXPECT_TRUE(list().faults.empty());
}

TEST_F(DiskFaults, EioFaultFailsReadsOfItsRangeThroughATableUntilCleared) {
    activate("lin", "0 4096 linear /dev/ram0 0");
    ASSERT_EQ(add("ram0", "eio sectors=100-199 op=read").error, 0);
    EXPECT_EQ(read("lin", 96, 8), -EIO);  // touches 100
    EXPECT_EQ(read("lin", 0, 8), 0);
    EXPECT_EQ(read("lin", 200, 8), 0);
    std::vector<std::byte> w(8 * kSectorSize);
    EXPECT_EQ(io(*dm_.find_mapped("lin"), BioOp::write, 100, w), 0);  // op=read only
    EXPECT_EQ(list("ram0").faults.at(0).fired, 1u);
    ASSERT_EQ(fault(DmCommand::fault_clear, "ram0").error, 0);
    EXPECT_EQ(read("lin", 96, 8), 0);
}

TEST_F(DiskFaults, RemovedFaultStopsActing) {
    activate("lin", "0 4096 linear /dev/ram0 0");
    ASSERT_EQ(add("ram0", "eio op=read").error, 0);
    EXPECT_EQ(read("lin", 0, 8), -EIO);
    ASSERT_EQ(fault(DmCommand::fault_remove, "ram0", {}, 1).error, 0);
    EXPECT_EQ(read("lin", 0, 8), 0);
}

TEST(DiskFaultsJson, CommandNamesRoundTrip) {
    for (DmCommand c : {DmCommand::fault_add, DmCommand::fault_list, DmCommand::fault_remove,
                        DmCommand::fault_clear})
        EXPECT_EQ(dm_command_from_string(to_string(c)), c) << to_string(c);
}

TEST(DiskFaultsJson, RequestFieldsRoundTrip) {
    DmRequest req;
    req.cmd = DmCommand::fault_remove;
    req.name = "ram0";
    req.message = "eio sectors=1-2";
    req.fault_id = 42;
    const DmRequest back = request_from_json(nlohmann::json::parse(to_json(req).dump()));
    EXPECT_EQ(back.cmd, DmCommand::fault_remove);
    EXPECT_EQ(back.name, "ram0");
    EXPECT_EQ(back.message, "eio sectors=1-2");
    EXPECT_EQ(back.fault_id, 42u);
}

TEST(DiskFaultsJson, ReplyFaultsRoundTrip) {
    DmReply reply;
    reply.faults.push_back({"ram0", 1, "eio", "eio op=read", 3});
    reply.faults.push_back({"ram1", 18446744073709551615ull, "latency", "latency ms=5", 0});
    const DmReply back = reply_from_json(nlohmann::json::parse(to_json(reply).dump()));
    ASSERT_EQ(back.faults.size(), 2u);
    EXPECT_EQ(back.faults[0].disk, "ram0");
    EXPECT_EQ(back.faults[0].id, 1u);
    EXPECT_EQ(back.faults[0].kind, "eio");
    EXPECT_EQ(back.faults[0].spec, "eio op=read");
    EXPECT_EQ(back.faults[0].fired, 3u);
    EXPECT_EQ(back.faults[1].id, 18446744073709551615ull);
    EXPECT_EQ(back.faults[1].spec, "latency ms=5");
}

TEST(DiskFaultsJson, ErrorReplyKeepsErrnoAndDetail) {
    DmReply reply;
    reply.error = -ENOENT;
    reply.detail = "fault: disk 'ram0' has no fault 7";
    const DmReply back = reply_from_json(nlohmann::json::parse(to_json(reply).dump()));
    EXPECT_EQ(back.error, -ENOENT);
    EXPECT_EQ(back.detail, "fault: disk 'ram0' has no fault 7");
    EXPECT_TRUE(back.faults.empty());
}

TEST(DiskFaultsJson, RequestWithoutFaultIdDecodesAsZero) {
    // A client from before fault_id: the field is optional on decode.
    const DmRequest r = request_from_json(nlohmann::json::parse(R"({"cmd":"fault_list"})"));
    EXPECT_EQ(r.cmd, DmCommand::fault_list);
    EXPECT_EQ(r.fault_id, 0u);
}

}  // namespace
}  // namespace dmemu::emu::testing
