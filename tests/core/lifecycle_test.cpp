// SPDX-License-Identifier: GPL-2.0-only
// The device lifecycle and the order of target hooks across load/suspend/resume/clear/remove,
// pinned with a spy target that records every hook (the order that decides which userspace log
// a UUID-only server hits: dm-spec.md section 2).
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cerrno>
#include <optional>

#include "core_fixture.hpp"
#include "emu/util/wait_queue.hpp"

namespace dmemu::emu::testing {
namespace {

namespace asio = boost::asio;

std::vector<std::string>* g_spy_log = nullptr;
// While set, a status parks here (a status waiting on a log server, say) until woken.
WaitQueue* g_status_gate = nullptr;

// Table: "<tag>"; records "<hook>(<tag>)".
class SpyTarget final : public Target {
public:
    explicit SpyTarget(std::string tag) : tag_(std::move(tag)) {}
    MapResult map(Bio&) override { return MapResult::kill(); }
    asio::awaitable<void> presuspend() override {
        rec("presuspend");
        co_return;
    }
    asio::awaitable<void> postsuspend() override {
        rec("postsuspend");
        co_return;
    }
    asio::awaitable<int> preresume() override {
        rec("preresume");
        co_return 0;
    }
    asio::awaitable<void> resume() override {
        rec("resume");
        co_return;
    }
    asio::awaitable<void> dtr() override {
        rec("dtr");
        co_return;
    }
    asio::awaitable<std::string> status(StatusType) override {
        rec("status-start");
        if (g_status_gate) co_await g_status_gate->wait();
        rec("status-end");  // touches the target: it must still exist
        co_return tag_;
    }

private:
    void rec(const char* hook) { g_spy_log->push_back(std::string(hook) + "(" + tag_ + ")"); }
    std::string tag_;
};

asio::awaitable<TargetCtrResult> spy_ctr(TargetContext& ti, std::vector<std::string> argv) {
    if (argv.size() != 1) {
        ti.error = "spy needs a tag";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    g_spy_log->push_back("ctr(" + argv[0] + ")");
    co_return TargetCtrResult{std::make_unique<SpyTarget>(argv[0])};
}

const TargetType spy_target{"spy", {1, 0, 0}, spy_ctr};

class Lifecycle : public CoreFixture {
protected:
    Lifecycle() {
        registry_.add(spy_target);
        g_spy_log = &log_;
    }
    ~Lifecycle() override { g_spy_log = nullptr; }
    std::vector<std::string> take() { return std::exchange(log_, {}); }
    std::vector<std::string> log_;
};

using V = std::vector<std::string>;

TEST_F(Lifecycle, SwapResumesNewTableBeforeDestroyingOld) {
    activate("m", "0 100 spy A");
    take();
    ASSERT_EQ(load("m", "0 100 spy B").error, 0);
    EXPECT_EQ(take(), V{"ctr(B)"});
    ASSERT_EQ(suspend("m").error, 0);
    EXPECT_EQ(take(), (V{"presuspend(A)", "postsuspend(A)"}));
    ASSERT_EQ(resume("m").error, 0);
    EXPECT_EQ(take(), (V{"preresume(B)", "resume(B)", "dtr(A)"}));
}

// A status still running on the old table (parked, as one in a log server's reconnect loop) keeps
// it alive: the resume swaps tables at once but destroys the old one only after the status has
// finished with it (dm_sync_table before dm_table_destroy).
TEST_F(Lifecycle, ResumeWaitsForAStatusOnTheOldTableBeforeDestroyingIt) {
    activate("m", "0 100 spy A");
    load("m", "0 100 spy B");
    suspend("m");
    take();
    WaitQueue gate(ctx_.get_executor());
    g_status_gate = &gate;
    DmRequest status_req;
    status_req.cmd = DmCommand::table_status;
    status_req.name = "m";
    std::optional<DmReply> status, resumed;
    asio::co_spawn(
        ctx_, [&]() -> asio::awaitable<void> { status = co_await dm_.ioctl(status_req); },
        asio::detached);
    DmRequest resume_req;
    resume_req.cmd = DmCommand::dev_suspend;
    resume_req.name = "m";
    asio::co_spawn(
        ctx_, [&]() -> asio::awaitable<void> { resumed = co_await dm_.ioctl(resume_req); },
        asio::detached);
    clock_.run_until_idle();
    EXPECT_FALSE(status.has_value());
    EXPECT_FALSE(resumed.has_value())
        << "the resume finished while a status still used the old table";
    EXPECT_EQ(take(), (V{"status-start(A)", "preresume(B)", "resume(B)"}));
    g_status_gate = nullptr;
    gate.wake_all();
    clock_.run_until_idle();
    ASSERT_TRUE(status.has_value());
    ASSERT_TRUE(resumed.has_value());
    EXPECT_EQ(status->targets.at(0).params, "A");
    EXPECT_EQ(resumed->error, 0);
    EXPECT_EQ(take(), (V{"status-end(A)", "dtr(A)"}));
}

TEST_F(Lifecycle, ResumeWithoutSuspendSuspendsTheOldTableFirst) {
    activate("m", "0 100 spy A");
    load("m", "0 100 spy B");
    take();
    resume("m");
    EXPECT_EQ(take(),
              (V{"presuspend(A)", "postsuspend(A)", "preresume(B)", "resume(B)", "dtr(A)"}));
}

TEST_F(Lifecycle, LoadOverInactiveBuildsNewBeforeDestroyingOld) {
    activate("m", "0 100 spy A");
    load("m", "0 100 spy B");
    take();
    load("m", "0 100 spy C");
    EXPECT_EQ(take(), (V{"ctr(C)", "dtr(B)"}));
}

TEST_F(Lifecycle, ClearDestroysOnlyTheInactiveTable) {
    activate("m", "0 100 spy A");
    load("m", "0 100 spy B");
    take();
    ASSERT_EQ(simple(DmCommand::table_clear, "m").error, 0);
    EXPECT_EQ(take(), V{"dtr(B)"});
    EXPECT_TRUE(info("m").info.live_table);
    EXPECT_FALSE(info("m").info.inactive_table);
}

TEST_F(Lifecycle, RemoveDestroysInactiveThenSuspendsAndDestroysLive) {
    activate("m", "0 100 spy A");
    load("m", "0 100 spy B");
    take();
    ASSERT_EQ(simple(DmCommand::dev_remove, "m").error, 0);
    EXPECT_EQ(take(), (V{"dtr(B)", "presuspend(A)", "postsuspend(A)", "dtr(A)"}));
}

TEST_F(Lifecycle, RemoveOfSuspendedDeviceOnlyDestroys) {
    activate("m", "0 100 spy A");
    suspend("m");
    take();
    simple(DmCommand::dev_remove, "m");
    EXPECT_EQ(take(), V{"dtr(A)"});
}

TEST_F(Lifecycle, SuspendTwiceRunsHooksOnce) {
    activate("m", "0 100 spy A");
    take();
    suspend("m");
    suspend("m");
    EXPECT_EQ(take(), (V{"presuspend(A)", "postsuspend(A)"}));
    EXPECT_TRUE(info("m").info.suspended);
    resume("m");
    EXPECT_EQ(take(), (V{"preresume(A)", "resume(A)"}));
    resume("m");
    EXPECT_TRUE(take().empty());
}

TEST_F(Lifecycle, FailedLoadDestroysTargetsAlreadyBuilt) {
    create("m");
    take();
    EXPECT_EQ(load("m", "0 100 spy A\n100 100 spy").error, -EINVAL);
    EXPECT_EQ(take(), (V{"ctr(A)", "dtr(A)"}));
    EXPECT_FALSE(info("m").info.inactive_table);
}

TEST_F(Lifecycle, MinorsAreLowestFree) {
    create("a");
    create("b");
    create("c");
    EXPECT_EQ(info("b").info.devt, (DevT{254, 1}));
    simple(DmCommand::dev_remove, "b");
    create("d");
    EXPECT_EQ(info("d").info.devt, (DevT{254, 1}));
}

TEST_F(Lifecycle, DuplicateNameOrUuidIsBusyAndSilent) {
    create("a", "UUID-A");
    const auto seq = klog_.last_seq();
    EXPECT_EQ(create("a", "UUID-B").error, -EBUSY);
    EXPECT_EQ(create("b", "UUID-A").error, -EBUSY);
    EXPECT_TRUE(kernel_lines_since(seq).empty());
    EXPECT_EQ(simple(DmCommand::list_devices, "").names.size(), 1u);
}

TEST_F(Lifecycle, NameAndUuidLimits) {
    EXPECT_EQ(create(std::string(127, 'n')).error, 0);
    EXPECT_EQ(create(std::string(128, 'n')).error, -EINVAL);
    EXPECT_EQ(create("u1", std::string(128, 'u')).error, 0);
    EXPECT_EQ(create("u2", std::string(129, 'u')).error, -EINVAL);
    const auto seq = klog_.last_seq();
    EXPECT_EQ(create("a/b").error, -EINVAL);
    EXPECT_EQ(kernel_lines_since(seq), V{"device-mapper: ioctl: invalid device name"});
}

TEST_F(Lifecycle, RenameToExistingNameIsBusyWithKernelWords) {
    create("lc2", "TEST-UUID-0001");
    create("other");
    const auto seq = klog_.last_seq();
    DmRequest r;
    r.cmd = DmCommand::dev_rename;
    r.name = "lc2";
    r.new_name = "other";
    EXPECT_EQ(ioctl(r).error, -EBUSY);
    r.new_name = "TEST-UUID-0002";
    r.set_uuid = true;
    EXPECT_EQ(ioctl(r).error, -EINVAL);
    EXPECT_EQ(kernel_lines_since(seq),
              (V{"device-mapper: ioctl: Unable to change name on mapped device lc2 to one that "
                 "already exists: other",
                 "device-mapper: ioctl: Unable to change uuid of mapped device lc2 to "
                 "TEST-UUID-0002 because uuid is already set to TEST-UUID-0001"}));
}

TEST_F(Lifecycle, RenameRaisesEventOnLiveTable) {
    activate("lc", "0 100 zero");
    DmRequest r;
    r.cmd = DmCommand::dev_rename;
    r.name = "lc";
    r.new_name = "lc2";
    ASSERT_EQ(ioctl(r).error, 0);
    EXPECT_EQ(info("lc2").info.event_nr, 1u);
    EXPECT_EQ(info("lc").error, -ENXIO);
}

TEST_F(Lifecycle, SetUuidOnceWhenUnset) {
    create("x");
    DmRequest r;
    r.cmd = DmCommand::dev_rename;
    r.name = "x";
    r.new_name = "NEW-UUID";
    r.set_uuid = true;
    ASSERT_EQ(ioctl(r).error, 0);
    EXPECT_EQ(info("x").info.uuid, "NEW-UUID");
}

TEST_F(Lifecycle, RemoveRefusedWhileOpen) {
    activate("x", "0 100 zero");
    dm_.find_mapped("x")->open();
    EXPECT_EQ(simple(DmCommand::dev_remove, "x").error, -EBUSY);
    EXPECT_EQ(info("x").info.open_count, 1u);
    dm_.find_mapped("x")->close();
    EXPECT_EQ(simple(DmCommand::dev_remove, "x").error, 0);
    EXPECT_EQ(simple(DmCommand::dev_remove, "x").error, -ENXIO);
}

TEST_F(Lifecycle, RemoveAllKeepsOpenDevicesAndRemovesStacks) {
    add_ram("ram0", 1000, DevT{1, 0});
    activate("lower", "0 100 linear /dev/ram0 0");
    activate("upper", "0 100 linear /dev/mapper/lower 0");
    activate("busy", "0 100 zero");
    dm_.find_mapped("busy")->open();
    simple(DmCommand::remove_all, "");
    EXPECT_EQ(dm_.mapped_names(), V{"busy"});
}

TEST_F(Lifecycle, NoTableDeviceResumesAsNoop) {
    create("notable");
    EXPECT_EQ(resume("notable").error, 0);
    const auto i = info("notable").info;
    EXPECT_FALSE(i.suspended);
    EXPECT_FALSE(i.live_table);
    EXPECT_EQ(i.target_count, 0u);
    EXPECT_FALSE(i.read_ahead.has_value());
}

TEST_F(Lifecycle, ReadOnlyFlagFollowsLiveTable) {
    add_ram("ram3", 1000, DevT{1, 3});
    create("ro");
    load("ro", "0 100 linear /dev/ram3 0", true);
    EXPECT_FALSE(info("ro").info.read_only);
    resume("ro");
    EXPECT_TRUE(info("ro").info.read_only);
}

TEST_F(Lifecycle, MessageToTargetWithoutMessagesIsInvalid) {
    activate("z", "0 100 zero");
    const auto seq = klog_.last_seq();
    DmRequest r;
    r.cmd = DmCommand::target_msg;
    r.name = "z";
    r.message = "foo";
    EXPECT_EQ(ioctl(r).error, -EINVAL);
    r.sector = 100;
    EXPECT_EQ(ioctl(r).error, -EINVAL);
    EXPECT_EQ(kernel_lines_since(seq),
              (V{"device-mapper: ioctl: Target type does not support messages",
                 "device-mapper: ioctl: Target message sector outside device."}));
}

TEST_F(Lifecycle, DiskInUseCannotBeRemoved) {
    add_ram("ram0", 1000, DevT{1, 0});
    activate("lin", "0 100 linear /dev/ram0 0");
    DmRequest r;
    r.cmd = DmCommand::disk_remove;
    r.name = "ram0";
    EXPECT_EQ(ioctl(r).error, -EBUSY);
    simple(DmCommand::dev_remove, "lin");
    EXPECT_EQ(ioctl(r).error, 0);
}

TEST_F(Lifecycle, TargetsListNewestRegisteredFirst) {
    auto versions = simple(DmCommand::list_versions, "").versions;
    ASSERT_GE(versions.size(), 5u);
    EXPECT_EQ(versions.front().name, "spy");
    EXPECT_EQ(versions.back().name, "error");
}

}  // namespace
}  // namespace dmemu::emu::testing
