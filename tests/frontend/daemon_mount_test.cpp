// SPDX-License-Identifier: GPL-2.0-only
// The daemon's mount at DIR/mnt, end to end with the built programs: `dmemu start` after a
// SIGKILLed daemon clears its dead mount; start refuses a directory in use (a live daemon, a
// foreign mount) and warns without /dev/fuse; `dmemu-setup remove --force` through a file that
// is still open replaces the table with `error` as the kernel does (fixtures/oracle t35).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "emu/frontend/mountpoint.hpp"
#include "tests/cli/subprocess.hpp"
#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cli_test::ProgramResult;
using cli_test::run_program;
using Args = std::vector<std::string>;

std::string program(const char* env, const char* fallback) {
    const char* v = std::getenv(env);
    return v && *v ? v : fallback;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

emu::MountpointState mount_state(const std::string& path) {
    return emu::probe_mountpoint(path).state;
}

// A daemon directory; the daemon is started by each test (in the foreground as our child, or
// detached) and stopped, its mount cleared, by TearDown.
class DaemonMount : public ::testing::Test {
protected:
    void SetUp() override {
        DMEMU_REQUIRE_FUSE();
        if (!fs::exists(dmemu_) || !fs::exists(setup_))
            GTEST_FAIL() << "programs not built: " << dmemu_ << ", " << setup_;
        dir_ = make_temp_dir("dmemu-daemon").string();
        ASSERT_FALSE(dir_.empty());
    }
    void TearDown() override {
        if (dir_.empty()) return;
        if (fs::exists(dir_ + "/dmemu.lock")) run_program(dmemu_, {"stop", dir_});
        if (child_ > 0) {
            ::kill(child_, SIGKILL);
            cli_test::wait_exit(child_, 5s);
        }
        std::string error;
        if (mount_state(mnt()) == emu::MountpointState::dead_fuse)
            emu::unmount_dead_fuse(mnt(), &error);
        if (mount_state(mnt()) != emu::MountpointState::mounted) {
            std::error_code ec;
            fs::remove_all(dir_, ec);
            fs::remove(dir_ + ".log", ec);
        }
    }

    // `dmemu start DIR --foreground [extra]` as our child; returns once its mount serves.
    void start_foreground(const Args& extra = {}) {
        Args args{"start", dir_, "--foreground"};
        args.insert(args.end(), extra.begin(), extra.end());
        child_ = cli_test::spawn_program(dmemu_, args, dir_ + ".log");
        ASSERT_TRUE(eventually([&] { return fs::exists(dir_ + "/control.sock") && mounted(); }))
            << "the daemon did not mount " << mnt() << "; its log:\n"
            << slurp(dir_ + ".log");
    }
    ProgramResult start_detached() { return run_program(dmemu_, {"start", dir_}); }
    ProgramResult cli(Args args) {
        args.insert(args.begin(), {"--dir", dir_});
        return run_program(setup_, args);
    }
    std::string mnt() const { return dir_ + "/mnt"; }
    bool mounted() const {
        const auto p = emu::probe_mountpoint(mnt());
        return p.state == emu::MountpointState::mounted && p.fstype == "fuse.dmemu";
    }
    // Writes then reads back 64 KiB at `off` of a file on the mount.
    void round_trip(const std::string& file, off_t off) {
        const int fd = ::open(file.c_str(), O_RDWR);
        ASSERT_GE(fd, 0) << file << ": " << std::strerror(errno);
        const auto data = pattern(65536, static_cast<int>(off % 251));
        EXPECT_EQ(::pwrite(fd, data.data(), data.size(), off), 65536);
        std::vector<char> back(data.size());
        EXPECT_EQ(::pread(fd, back.data(), back.size(), off), 65536);
        EXPECT_TRUE(back == data);
        ::close(fd);
    }

    std::string dmemu_ = program("DMEMU_BIN", DMEMU_BIN_DEFAULT);
    std::string setup_ = program("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT);
    std::string dir_;
    pid_t child_ = -1;
};

TEST_F(DaemonMount, StartAfterSigkillClearsTheDeadMount) {
    start_foreground();
    ASSERT_EQ(cli({"disk", "add", "d0", "--size", "4M"}).exit_code, 0);
    round_trip(mnt() + "/disks/d0", 4096);
    ASSERT_EQ(::kill(child_, SIGKILL), 0);
    EXPECT_EQ(cli_test::wait_exit(child_, 5s), -1);  // killed by the signal
    child_ = -1;
    struct stat st;
    EXPECT_EQ(::stat(mnt().c_str(), &st), -1);
    EXPECT_EQ(errno, ENOTCONN);
    EXPECT_EQ(mount_state(mnt()), emu::MountpointState::dead_fuse);

    const ProgramResult again = start_detached();
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(again.err, "dmemu: unmounted the dead FUSE mount at " + mnt() +
                             " (a daemon died without unmounting)\n");
    EXPECT_TRUE(mounted());
    ASSERT_EQ(cli({"disk", "add", "d0", "--size", "4M"}).exit_code, 0);
    ASSERT_EQ(cli({"create", "lin", "--table", "0 8192 linear /dev/d0 0"}).exit_code, 0);
    round_trip(mnt() + "/mapper/lin", 1 << 20);
    EXPECT_EQ(run_program(dmemu_, {"stop", dir_}).exit_code, 0);
    EXPECT_EQ(mount_state(mnt()), emu::MountpointState::free);
}

TEST_F(DaemonMount, StartRefusesTheDirectoryOfALiveDaemon) {
    start_foreground();
    const ProgramResult again = start_detached();
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_EQ(again.err, "dmemu: a daemon (pid " + std::to_string(child_) +
                             ") is already running in " + dir_ + "\n");
    EXPECT_TRUE(mounted());  // the live daemon's mount is untouched
    ASSERT_EQ(cli({"disk", "add", "d0", "--size", "1M"}).exit_code, 0);
    round_trip(mnt() + "/disks/d0", 0);
}

// --no-splice reaches the mount (said in the log), and reads still return the device's bytes; by
// default the log says splice is on.
TEST_F(DaemonMount, NoSpliceIsLoggedAndReadsStillRoundTrip) {
    start_foreground({"--no-splice"});
    EXPECT_NE(slurp(dir_ + ".log").find("fuse: reads by splice: off (--no-splice)\n"),
              std::string::npos)
        << slurp(dir_ + ".log");
    const std::string img = dir_ + ".img";
    ASSERT_EQ(cli({"disk", "add", "f0", "--file", img, "--size", "4M"}).exit_code, 0);
    ASSERT_EQ(cli({"create", "lin", "--table", "0 8000 linear /dev/f0 100"}).exit_code, 0);
    round_trip(mnt() + "/mapper/lin", 12345);
    EXPECT_EQ(run_program(dmemu_, {"stop", dir_}).exit_code, 0);
    child_ = -1;
    std::error_code ec;
    fs::remove(img, ec);
    fs::remove(dir_ + ".log", ec);
    start_foreground();
    const std::string log = slurp(dir_ + ".log");
    EXPECT_NE(log.find("fuse: reads by splice: on, up to "), std::string::npos) << log;
    EXPECT_NE(log.find("; 2 splice threads\n"), std::string::npos) << log;
}

// --splice-threads reaches the mount: 0 sends every reply from the loop, and reads still return
// the device's bytes; a count out of range is refused before anything starts.
TEST_F(DaemonMount, SpliceThreadsOptionReachesTheMount) {
    const auto bad = run_program(dmemu_, {"start", dir_, "--splice-threads", "65"});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("--splice-threads"), std::string::npos) << bad.err;
    start_foreground({"--splice-threads", "0"});
    EXPECT_NE(slurp(dir_ + ".log").find("; 0 splice threads\n"), std::string::npos)
        << slurp(dir_ + ".log");
    const std::string img = dir_ + ".img";
    ASSERT_EQ(cli({"disk", "add", "f0", "--file", img, "--size", "4M"}).exit_code, 0);
    ASSERT_EQ(cli({"create", "lin", "--table", "0 8000 linear /dev/f0 100"}).exit_code, 0);
    round_trip(mnt() + "/mapper/lin", 12345);
    std::error_code ec;
    fs::remove(img, ec);
}

// With mnt/mapper/bb2 open: `remove` fails busy; `remove --force` fails busy too but first
// replaces the table with error (dmsetup's _error_device), as t35 steps 68-75 show; I/O on the
// open file then fails with EIO; once closed, the device can be removed.
TEST_F(DaemonMount, RemoveForceThroughAnOpenFile) {
    start_foreground();
    ASSERT_EQ(cli({"disk", "add", "ram1", "--size", "64M", "--devno", "1:1"}).exit_code, 0);
    ASSERT_EQ(cli({"create", "bb2", "--table", "0 3000 linear /dev/ram1 0"}).exit_code, 0);
    const int fd = ::open((mnt() + "/mapper/bb2").c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    const auto data = pattern(4096, 3);
    ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), 4096);

    const std::string busy =
        "device-mapper: remove ioctl on bb2  failed: Device or resource busy\nCommand failed.\n";
    const ProgramResult plain = cli({"remove", "bb2"});
    EXPECT_EQ(plain.exit_code, 1);
    EXPECT_EQ(plain.out, "");
    EXPECT_EQ(plain.err, busy);
    EXPECT_EQ(cli({"table", "bb2"}).out, "0 3000 linear 1:1 0\n");  // untouched

    const ProgramResult forced = cli({"remove", "--force", "bb2"});
    EXPECT_EQ(forced.exit_code, 1);
    EXPECT_EQ(forced.out, "");
    EXPECT_EQ(forced.err, busy);
    EXPECT_EQ(cli({"info", "bb2"}).out,
              "Name:              bb2\nState:             ACTIVE\nRead Ahead:        256\n"
              "Tables present:    LIVE\nOpen count:        1\nEvent number:      0\n"
              "Major, minor:      253, 0\nNumber of targets: 1\n\n");
    EXPECT_EQ(cli({"table", "bb2"}).out, "0 3000 error \n");
    EXPECT_EQ(cli({"status", "bb2"}).out, "0 3000 error \n");
    EXPECT_EQ(cli({"ls"}).out, "bb2\t(253:0)\n");

    char buf[4096];
    EXPECT_EQ(::pread(fd, buf, sizeof buf, 0), -1);
    EXPECT_EQ(errno, EIO);
    EXPECT_EQ(::pwrite(fd, data.data(), data.size(), 8192), -1);
    EXPECT_EQ(errno, EIO);
    EXPECT_EQ(::fsync(fd), 0);  // the error target takes flushes (num_flush_bios = 0)
    ::close(fd);

    // RELEASE reaches the daemon a moment after close() returns.
    EXPECT_TRUE(eventually([&] {
        return cli({"info", "bb2"}).out.find("Open count:        0\n") != std::string::npos;
    })) << cli({"info", "bb2"}).out;
    const ProgramResult removed = cli({"remove", "bb2"});
    EXPECT_EQ(removed.exit_code, 0) << removed.err;
    EXPECT_EQ(cli({"ls"}).out, "No devices found\n");
    struct stat st;
    EXPECT_EQ(::stat((mnt() + "/mapper/bb2").c_str(), &st), -1);
    EXPECT_EQ(errno, ENOENT);
}

// A private mount namespace (a user namespace too when not root) whose /dev is an empty tmpfs:
// the daemon starts (the control socket is useful without the mount) and says why there is
// no mount, on stderr and in its log.
TEST_F(DaemonMount, StartWarnsWhenDevFuseIsMissing) {
    DMEMU_REQUIRE_TOOL("unshare");
    const std::string unshare =
        ::geteuid() == 0 ? "unshare --mount --propagation private"
                         : "unshare --user --map-root-user --mount --propagation private";
    if (run(unshare + " true 2>/dev/null") != 0)
        GTEST_SKIP() << "'" << unshare << "' is not permitted here";
    const std::string script = "mount -t tmpfs tmpfs /dev && exec " + shell_quoted(dmemu_) +
                               " start " + shell_quoted(dir_) + " --foreground";
    child_ = cli_test::spawn_program("/bin/sh", {"-c", unshare + " sh -c " + shell_quoted(script)},
                                     dir_ + ".log");
    ASSERT_TRUE(eventually([&] { return fs::exists(dir_ + "/control.sock"); }))
        << slurp(dir_ + ".log");
    EXPECT_EQ(cli({"version"}).exit_code, 0);  // the control socket serves
    EXPECT_EQ(mount_state(mnt()), emu::MountpointState::free);
    const std::string log = slurp(dir_ + ".log");
    EXPECT_NE(log.find("dmemu: warning: fuse: /dev/fuse is missing (load the fuse module, or give "
                       "the container the device); devices will not appear under " +
                       mnt() + "\n"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("fuse: not mounting " + mnt()), std::string::npos) << log;
}

// A live mount of something else at DIR/mnt (here: another FUSE front end) is not ours to clear.
TEST_F(FuseFrontendTest, DaemonStartRefusesAMountpointInUse) {
    const std::string dmemu = program("DMEMU_BIN", DMEMU_BIN_DEFAULT);
    const fs::path daemon_dir = make_temp_dir("dmemu-daemon");
    ASSERT_TRUE(fs::create_directory(daemon_dir / "mnt"));
    std::string error;
    auto other = emu::FuseFrontend::mount(*dm, ctx, (daemon_dir / "mnt").string(), &error);
    ASSERT_NE(other, nullptr) << error;
    const ProgramResult r = run_program(dmemu, {"start", daemon_dir.string()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmemu: " + (daemon_dir / "mnt").string() +
                         " is in use: a file system (fuse.dmemu) is mounted there; unmount it or "
                         "use another directory\n");
    EXPECT_FALSE(fs::exists(daemon_dir / "control.sock"));
    other->unmount();
    fs::remove_all(daemon_dir);
}

}  // namespace
}  // namespace dmemu::frontend_test
