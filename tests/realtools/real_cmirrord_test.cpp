// SPDX-License-Identifier: GPL-2.0-only
// The real cmirrord (LVM2 2.03.16, built from Debian's source by tools/cmirrord/build.sh) with
// the real corosync, serving the daemon's userspace logs over the netlink connector
// (`dmemu start --netlink`, tools/cmirrord/run.sh), driven by the real dmsetup. The pvmove swap
// in miniature: a second table whose log has the same uuid is loaded while the first is live,
// then swapped in. The daemon as it is since LVM2 commit 5c8922b72 tells the two logs apart by
// the kernel's luid and the swap keeps the legs in sync; the daemon as it was before (lookups
// by uuid alone and reference counts: cmirrord-legacy) keeps the old log's region count across
// a resize, as docs/ulog.md predicts. real_cmirrord_fixtures_test.cpp runs the scenario fixtures.
//
// Needs the binaries (DMEMU_CMIRRORD_DIR, default the build tree's cmirrord/), corosync, and
// user namespaces (unshare -Urnm); skips saying which is missing, fails in CI.
#include <fmt/format.h>

#include "tests/realtools/cmirrord_env.hpp"
#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {
namespace {

using cli_test::ProgramResult;

class RealCmirrord : public RealToolsTest {
protected:
    void SetUp() override {
        DMEMU_REQUIRE(cmirrord_verdict(&dmemu_why_));
        RealToolsTest::SetUp();
    }
    void TearDown() override {
        if (running_) cli_test::run_program("/bin/bash", {cmirrord_run(), "stop", dir_.string()});
        RealToolsTest::TearDown();
    }
    std::vector<std::string> start_options() const override { return {"--netlink"}; }

    void start_server(const std::string& variant) {
        const ProgramResult r = cli_test::run_program(
            "/bin/bash",
            {cmirrord_run(), "start", dir_.string(), cmirrord_dir() + "/" + variant, dmemu_bin()});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        running_ = true;
    }
    std::string kernel_log() { return setup({"dmesg"}).out; }

    // The live mirror with log LVM-m1 over ram0 and ram1, in sync, with 8 MiB of data written.
    void live_mirror_with_data() {
        const ProgramResult r = exec_shell(
            "set -e; dmsetup create m --table "
            "'0 65536 mirror userspace 3 LVM-m1 clustered-core 1024 2 /dev/ram0 0 /dev/ram1 0'; "
            "for i in $(seq 100); do dmsetup status m | grep -q ' 64/64 ' && break; sleep 0.1; "
            "done; "
            "dmsetup status m; "
            "dd if=/dev/urandom of=/dev/mapper/m bs=1M count=8 oflag=direct status=none");
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err << kernel_log();
        EXPECT_EQ(r.out, "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 clustered-core\n");
    }

    // A mirror resize (lvextend) driven by the real dmsetup: the table is reloaded twice as long
    // with the same log uuid. The daemon of today gives the new table its own log (64 regions) and
    // the new half is resynced; the daemon before the luid only counts a second reference to the
    // old log (32 regions) and throws the new arguments away, so the sync count never passes 32 of
    // 64: what mirror-resize.scn predicts for the `uuid` mode.
    std::string resize_and_wait() {
        return exec_shell(
                   "set -e; dmsetup create r --table "
                   "'0 32768 mirror userspace 3 LVM-r1 clustered-core 1024 2 /dev/ram0 0 /dev/ram1 "
                   "0'; "
                   "for i in $(seq 100); do dmsetup status r | grep -q ' 32/32 ' && break; sleep "
                   "0.1; done; "
                   "dmsetup status r; "
                   "dmsetup load r --table "
                   "'0 65536 mirror userspace 3 LVM-r1 clustered-core 1024 2 /dev/ram0 0 /dev/ram1 "
                   "0'; "
                   "dmsetup suspend r; dmsetup resume r; "
                   "for i in $(seq 30); do dmsetup status r | grep -q ' 64/64 ' && break; sleep "
                   "0.1; done; "
                   "dmsetup status r; dmsetup remove r")
            .out;
    }

    bool running_ = false;
};

// The same, with the daemon starting corosync and cmirrord itself (`dmemu start --log-server
// cmirrord`) and stopping them at `dmemu stop`.
class RealCmirrordStartedByTheDaemon : public RealCmirrord {
protected:
    std::vector<std::string> start_options() const override {
        return {"--log-server", "cmirrord", "--cmirrord-dir", cmirrord_dir()};
    }
};

constexpr const char* kSwapped =
    "'0 65536 mirror userspace 3 LVM-m1 clustered-core 1024 2 /dev/ram1 0 /dev/ram0 0'";

TEST_F(RealCmirrord, SwapToASecondLogOfTheSameUuidKeepsTheLegsInSync) {
    start_server("cmirrord");
    live_mirror_with_data();
    const ProgramResult r = exec_shell(fmt::format(
        "set -e; dmsetup load m --table {}; dmsetup suspend m; dmsetup resume m; "
        "for i in $(seq 100); do dmsetup status m | grep -q ' 64/64 ' && break; sleep 0.1; done; "
        "dmsetup status m; "
        "dd if=/dev/urandom of=/dev/mapper/m bs=1M count=2 seek=20 oflag=direct status=none; "
        "cmp /dev/ram0 /dev/ram1 && echo legs identical; dmsetup remove m",
        kSwapped));
    EXPECT_EQ(r.exit_code, 0) << r.err << kernel_log();
    EXPECT_EQ(r.out, "0 65536 mirror 2 1:1 1:0 64/64 1 AA 1 clustered-core\nlegs identical\n")
        << r.err;
    EXPECT_EQ(kernel_log().find("dm-log-userspace"), std::string::npos) << kernel_log();
}

TEST_F(RealCmirrord, ResizeGivesTheLongerTableItsOwnLog) {
    start_server("cmirrord");
    EXPECT_EQ(resize_and_wait(),
              "0 32768 mirror 2 1:0 1:1 32/32 1 AA 1 clustered-core\n"
              "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 clustered-core\n")
        << kernel_log();
}

TEST_F(RealCmirrord, LegacyDaemonKeepsTheOldLogAcrossAResize) {
    start_server("cmirrord-legacy");
    EXPECT_EQ(resize_and_wait(),
              "0 32768 mirror 2 1:0 1:1 32/32 1 AA 1 clustered-core\n"
              "0 65536 mirror 2 1:0 1:1 32/64 1 AA 1 clustered-core\n")
        << kernel_log();
}

}  // namespace
}  // namespace dmemu::realtools_test

namespace dmemu::realtools_test {
namespace {

TEST_F(RealCmirrordStartedByTheDaemon, ServesTheSwapAndGoesWithTheDaemon) {
    live_mirror_with_data();
    const ProgramResult r = exec_shell(fmt::format(
        "set -e; dmsetup load m --table {}; dmsetup suspend m; dmsetup resume m; "
        "for i in $(seq 100); do dmsetup status m | grep -q ' 64/64 ' && break; sleep 0.1; done; "
        "dmsetup status m; dmsetup remove m",
        kSwapped));
    EXPECT_EQ(r.exit_code, 0) << r.err << kernel_log();
    EXPECT_EQ(r.out, "0 65536 mirror 2 1:1 1:0 64/64 1 AA 1 clustered-core\n") << r.err;
    ASSERT_TRUE(std::filesystem::exists(dir_ / "cmirrord" / "ns.pid"));
    const std::string pid =
        cli_test::run_program("/bin/cat", {(dir_ / "cmirrord" / "ns.pid").string()}).out;
    ASSERT_EQ(cli_test::run_program(dmemu_bin(), {"stop", dir_.string()}).exit_code, 0);
    started_ = false;
    // the namespace's process group (corosync, cmirrord) is gone with the daemon
    EXPECT_NE(frontend_test::run("kill -0 -- -" + pid.substr(0, pid.find('\n')) + " 2>/dev/null"),
              0);
}

}  // namespace
}  // namespace dmemu::realtools_test
