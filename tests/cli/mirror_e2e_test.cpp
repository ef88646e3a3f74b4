// SPDX-License-Identifier: GPL-2.0-only
// Mirrors through the daemon end to end: a userspace log served by a dmemu-ulogd process that is
// killed and restarted, a disk log on a file disk that survives a daemon restart, and fio
// --verify on a mirror's block file on the FUSE mount with the legs byte-identical afterwards.
#include <fcntl.h>
#include <sys/wait.h>

#include <functional>

#include "emu/frontend/fuse_frontend.hpp"
#include "tests/cli/daemon_fixture.hpp"

namespace dmemu::cli_test {
namespace {

// Polls `status NAME` until its sync count reads `want` (e.g. "16/16").
std::string wait_status_has(const std::function<ProgramResult(Args)>& cli, const std::string& name,
                            const std::string& want) {
    std::string out;
    for (int i = 0; i < 1000; ++i) {
        out = cli({"status", name}).out;
        if (out.find(" " + want + " ") != std::string::npos) break;
        std::this_thread::sleep_for(10ms);
    }
    return out;
}

void make_file(const std::string& path, std::uint64_t bytes) {
    std::ofstream(path).close();
    std::filesystem::resize_file(path, bytes);
}

std::string read_file(const std::string& path, std::size_t bytes) {
    std::ifstream in(path, std::ios::binary);
    std::string s(bytes, '\0');
    in.read(s.data(), static_cast<std::streamsize>(bytes));
    s.resize(static_cast<std::size_t>(in.gcount()));
    return s;
}

// A userspace-log mirror through the daemon and a dmemu-ulogd process on DIR/ulogd.sock (the
// daemon's default): resync completes; the server is killed (SIGKILL) and a status then waits in
// the kernel's -ESRCH loop (2 s pauses) until a new server is started, which gets the saved CTR
// and a RESUME before the status request; the mirror carries on, and resyncs after a
// suspend/resume cycle.
// A userspace-log mirror "um" of 16 regions over two RAM disks (1:0, 1:1).
class UserspaceMirrorE2E : public DaemonE2E {
protected:
    void create_um(const std::string& uuid) {
        ASSERT_EQ(cli({"disk", "add", "ram0", "--size", "8M", "--devno", "1:0"}).exit_code, 0);
        ASSERT_EQ(cli({"disk", "add", "ram1", "--size", "8M", "--devno", "1:1"}).exit_code, 0);
        const std::string table =
            "0 16384 mirror userspace 3 " + uuid + " clustered-core 1024 2 /dev/ram0 0 /dev/ram1 0";
        auto create = cli({"create", "um", "--table", table});
        ASSERT_EQ(create.exit_code, 0) << create.err;
    }
    std::string wait_in_sync(const std::string& name) {
        return wait_status_has([this](Args a) { return cli(a); }, name, "16/16");
    }
};

class DaemonWithLogServer : public UserspaceMirrorE2E {
protected:
    void start_ulogd(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--socket", dir_ + "/ulogd.sock", "--log-level", "debug"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::filesystem::remove(dir_ + "/ulogd.sock");  // a killed server leaves its socket file
        ulogd_ = spawn_program(ulogd_bin_, args, dir_ + ".ulogd.log");
        for (int i = 0; i < 500 && !std::filesystem::exists(dir_ + "/ulogd.sock"); ++i)
            std::this_thread::sleep_for(10ms);
        ASSERT_TRUE(std::filesystem::exists(dir_ + "/ulogd.sock"));
    }
    void kill_ulogd() {
        ::kill(ulogd_, SIGKILL);
        wait_exit(ulogd_, 5s);
        ulogd_ = -1;
    }
    void TearDown() override {
        DaemonE2E::TearDown();  // the daemon's DTRs find the server, or give up at -ESRCH
        if (ulogd_ > 0) kill_ulogd();
        std::filesystem::remove(dir_ + ".ulogd.log");
    }
    std::string ulogd_bin_ = program("DMEMU_ULOGD_BIN", DMEMU_ULOGD_BIN_DEFAULT);
    pid_t ulogd_ = -1;
};

TEST_F(DaemonWithLogServer, MirrorSurvivesALogServerRestart) {
    start_ulogd();
    create_um("LVM-e2euuid");
    if (HasFatalFailure()) return;
    EXPECT_EQ(wait_in_sync("um"), "0 16384 mirror 2 1:0 1:1 16/16 1 AA 1 clustered-core\n");
    EXPECT_NE(slurp(dir_ + ".ulogd.log").find("request CTR"), std::string::npos);

    kill_ulogd();
    const pid_t status =
        spawn_program(setup_, {"--dir", dir_, "status", "um"}, dir_ + ".status.out");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(wait_exit(status, 0ms), std::nullopt) << "status returned with no log server";
    start_ulogd();
    EXPECT_EQ(wait_exit(status, 10s), 0);
    const std::string status_out = slurp(dir_ + ".status.out");
    std::filesystem::remove(dir_ + ".status.out");
    EXPECT_EQ(status_out.rfind("0 16384 mirror 2 1:0 1:1 ", 0), 0u) << status_out;

    const std::string dmesg = cli({"dmesg"}).out;
    EXPECT_NE(dmesg.find("Userspace log server not found"), std::string::npos) << dmesg;
    EXPECT_NE(dmesg.find("Reconnected to userspace log server... DM_ULOG_CTR complete"),
              std::string::npos)
        << dmesg;
    // The new server's log was built from the saved CTR string: it starts out of sync. As in the
    // kernel, the reconnect path leaves in_sync_hint at the region count, so kmirrord asks for
    // no resync work and the status stays at 0/16 ...
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(cli({"status", "um"}).out, "0 16384 mirror 2 1:0 1:1 0/16 1 AA 1 clustered-core\n");
    // ... until a suspend/resume cycle: RESUME clears the hint and recovery runs again.
    EXPECT_EQ(cli({"suspend", "um"}).exit_code, 0);
    EXPECT_EQ(cli({"resume", "um"}).exit_code, 0);
    EXPECT_EQ(wait_in_sync("um"), "0 16384 mirror 2 1:0 1:1 16/16 1 AA 1 clustered-core\n");
    EXPECT_EQ(cli({"remove", "um"}).exit_code, 0);
}

// `dmemu start --log-server in-process`: dmemu's log server runs inside the daemon, on its loop
// (no socket, no second process): a userspace-log mirror resyncs, survives a suspend/resume and
// is removed, and nothing ever waits for a server that is not there.
class DaemonWithInProcessLogServer : public UserspaceMirrorE2E {
protected:
    DaemonWithInProcessLogServer() { start_args_ = {"--log-server", "in-process"}; }
};

TEST_F(DaemonWithInProcessLogServer, UserspaceLogMirrorResyncsWithoutAServerProcess) {
    create_um("LVM-inproc");
    if (HasFatalFailure()) return;
    EXPECT_EQ(wait_in_sync("um"), "0 16384 mirror 2 1:0 1:1 16/16 1 AA 1 clustered-core\n");
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/ulogd.sock"));
    EXPECT_NE(slurp(log()).find("log server in this process"), std::string::npos) << slurp(log());
    EXPECT_EQ(cli({"suspend", "um"}).exit_code, 0);
    EXPECT_EQ(cli({"resume", "um"}).exit_code, 0);
    EXPECT_EQ(wait_in_sync("um"), "0 16384 mirror 2 1:0 1:1 16/16 1 AA 1 clustered-core\n");
    EXPECT_EQ(cli({"remove", "um"}).exit_code, 0);
    const std::string dmesg = cli({"dmesg"}).out;
    EXPECT_EQ(dmesg.find("Userspace log server not found"), std::string::npos) << dmesg;
}

TEST_F(DaemonWithInProcessLogServer, NetlinkIsRefused) {
    const auto r =
        run_program(dmemu_, {"start", dir_ + "-other", "--log-server", "in-process", "--netlink"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("it takes no --netlink"), std::string::npos) << r.err;
}

// A live log-server crash at a chosen request (dmemu-ulogd --crash-at): the server kills itself
// when the status's STATUS_INFO arrives, before answering. As in the kernel, the request is
// lost with the server: the kernel side waits out its 15 s timeout, resends, finds nobody
// listening (-ESRCH) or the new server, and the status completes once a new dmemu-ulogd runs.
TEST_F(DaemonWithLogServer, CrashAtStatusInfoThenRestartCompletesTheStatus) {
    start_ulogd({"--crash-at", "STATUS_INFO"});
    create_um("LVM-e2ecrash");
    if (HasFatalFailure()) return;

    const pid_t status =
        spawn_program(setup_, {"--dir", dir_, "status", "um"}, dir_ + ".status.out");
    ASSERT_EQ(wait_exit(ulogd_, 10s), -1) << "dmemu-ulogd did not die by a signal at STATUS_INFO";
    ulogd_ = -1;
    EXPECT_NE(slurp(dir_ + ".ulogd.log").find("--crash-at STATUS_INFO:1: killing myself"),
              std::string::npos)
        << slurp(dir_ + ".ulogd.log");
    EXPECT_EQ(wait_exit(status, 300ms), std::nullopt) << "status returned with no log server";
    start_ulogd();
    EXPECT_EQ(wait_exit(status, 40s), 0) << slurp(dir_ + ".status.out");
    const std::string out = slurp(dir_ + ".status.out");
    std::filesystem::remove(dir_ + ".status.out");
    EXPECT_EQ(out.rfind("0 16384 mirror 2 1:0 1:1 ", 0), 0u) << out;
    EXPECT_NE(cli({"dmesg"}).out.find("Request timed out: ["), std::string::npos);
    EXPECT_EQ(cli({"remove", "um"}).exit_code, 0);
}

TEST(UlogdCrashAt, RefusesAnUnknownTypeOrCount) {
    const std::string bin = program("DMEMU_ULOGD_BIN", DMEMU_ULOGD_BIN_DEFAULT);
    for (const char* bad : {"RESUMEX", "RESUME:0", "RESUME:x"}) {
        const auto r = run_program(bin, {"--socket", "/nonexistent/s", "--crash-at", bad});
        EXPECT_EQ(r.exit_code, 2) << bad;
        EXPECT_NE((r.out + r.err).find("--crash-at: "), std::string::npos) << bad << ": " << r.err;
    }
}

// A disk log on a file disk: after resync and a clean daemon stop, a new daemon over the same
// files finds every region in sync in the log (no second resync: the status is 16/16 at once),
// and writes made before the restart are on both legs.
TEST_F(DaemonE2E, DiskLogSurvivesADaemonRestart) {
    const std::uint64_t leg_bytes = 8u << 20, log_bytes = 1u << 20;
    for (const char* f : {"leg0", "leg1"}) make_file(dir_ + "/" + f + ".img", leg_bytes);
    make_file(dir_ + "/log.img", log_bytes);
    auto add_disks = [&] {
        ASSERT_EQ(
            cli({"disk", "add", "leg0", "--file", dir_ + "/leg0.img", "--devno", "1:0"}).exit_code,
            0);
        ASSERT_EQ(
            cli({"disk", "add", "leg1", "--file", dir_ + "/leg1.img", "--devno", "1:1"}).exit_code,
            0);
        ASSERT_EQ(
            cli({"disk", "add", "mlog", "--file", dir_ + "/log.img", "--devno", "1:2"}).exit_code,
            0);
    };
    const std::string table = "0 16384 mirror disk 2 /dev/mlog 1024 2 /dev/leg0 0 /dev/leg1 0";
    add_disks();
    auto create = cli({"create", "m", "--table", table});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    auto cli_fn = [this](Args a) { return cli(a); };
    EXPECT_EQ(wait_status_has(cli_fn, "m", "16/16"),
              "0 16384 mirror 2 1:0 1:1 16/16 1 AA 3 disk 1:2 A\n");
    stop_daemon();

    // The on-disk header: the kernel's magic "MiRr" (0x4D695272, little-endian) first.
    const std::string header = read_file(dir_ + "/log.img", 4);
    EXPECT_EQ(header, std::string("\x72\x52\x69\x4d", 4));

    start_daemon();
    add_disks();
    create = cli({"create", "m", "--table", table});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    // The first status already shows the log's saved state: nothing to recover.
    EXPECT_EQ(cli({"status", "m"}).out, "0 16384 mirror 2 1:0 1:1 16/16 1 AA 3 disk 1:2 A\n");
    EXPECT_EQ(cli({"remove", "m"}).exit_code, 0);
}

// fio writes and verifies (crc32c) through mnt/mapper/NAME of a 2-leg mirror over file disks;
// afterwards both legs hold the same bytes over the mirror's whole length.
TEST_F(DaemonE2E, FioVerifyOnAMirrorBlockFileAndLegsIdentical) {
    std::string why;
    if (!emu::FuseFrontend::fuse_usable(&why)) {
        if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
            FAIL() << "CI must run the FUSE tests, but /dev/fuse is unusable: " << why;
        GTEST_SKIP() << "FUSE unusable here: " << why;
    }
    if (std::system("command -v fio >/dev/null 2>&1") != 0) GTEST_SKIP() << "fio is not installed";
    const std::uint64_t leg_bytes = 16u << 20;
    for (const char* f : {"leg0", "leg1"}) make_file(dir_ + "/" + f + ".img", leg_bytes);
    ASSERT_EQ(cli({"disk", "add", "leg0", "--file", dir_ + "/leg0.img"}).exit_code, 0);
    ASSERT_EQ(cli({"disk", "add", "leg1", "--file", dir_ + "/leg1.img"}).exit_code, 0);
    auto create =
        cli({"create", "m", "--table", "0 32768 mirror core 1 1024 2 /dev/leg0 0 /dev/leg1 0"});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    const std::string dev = dir_ + "/mnt/mapper/m";
    for (int i = 0; i < 500 && !std::filesystem::exists(dev); ++i)
        std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(std::filesystem::exists(dev)) << slurp(log());

    // Random 4 KiB writes while resync may still run, then a full verify pass.
    const std::string fio =
        "fio --name=mirror --filename=" + dev +
        " --rw=randwrite --bs=4k --size=16M --ioengine=psync --direct=1"
        " --verify=crc32c --do_verify=1 --verify_fatal=1 --numjobs=1 --verify_state_save=0"
        " --output=" +
        dir_ + "/fio.out >/dev/null 2>&1";
    const int rc = std::system(fio.c_str());
    EXPECT_EQ(WEXITSTATUS(rc), 0) << slurp(dir_ + "/fio.out");
    EXPECT_EQ(slurp(dir_ + "/fio.out").find("verify: bad"), std::string::npos);

    auto cli_fn = [this](Args a) { return cli(a); };
    EXPECT_NE(wait_status_has(cli_fn, "m", "32/32").find(" 32/32 1 AA "), std::string::npos);
    const std::string a = read_file(dir_ + "/leg0.img", leg_bytes),
                      b = read_file(dir_ + "/leg1.img", leg_bytes);
    ASSERT_EQ(a.size(), leg_bytes);
    EXPECT_TRUE(a == b) << "the legs differ";
    EXPECT_NE(a, std::string(leg_bytes, '\0')) << "fio wrote nothing to the legs";
    EXPECT_EQ(cli({"remove", "m"}).exit_code, 0);
}

}  // namespace
}  // namespace dmemu::cli_test
