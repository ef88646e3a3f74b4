// SPDX-License-Identifier: GPL-2.0-only
// libdmemu-preload.so end to end: the probe (tests/preload/probe.c) and the host's own programs
// (stat, ls, cat, dd, readlink, mknod, mkfs.ext4, the real dmsetup) run under LD_PRELOAD against
// a hand-made DIR and a fake ioctl endpoint (preload_fixture.hpp).
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <fstream>

#include "tests/preload/preload_fixture.hpp"

namespace dmemu::preload_test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kNode = "mode 660 size 0 blksize 4096 nlink 1";

std::string file_bytes(const fs::path& path, std::size_t offset, std::size_t len) {
    std::ifstream f(path, std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    std::string s(len, '\0');
    f.read(s.data(), static_cast<std::streamsize>(len));
    s.resize(static_cast<std::size_t>(f.gcount()));
    return s;
}

// ---- the probe: runs in both builds ---------------------------------------------------------

TEST_F(PreloadTest, ControlNodeTalksToTheDaemon) {
    start_server();
    const auto r = probe({"control"});
    EXPECT_EQ(r.out,
              "fstat: chr 10:236 mode 600 size 0 blksize 4096 nlink 1\n"
              "fstat dup: chr 10:236 mode 600 size 0 blksize 4096 nlink 1\n"
              "DM_VERSION: 4.47.0\n"
              "DM_DEV_STATUS: -1 errno ENXIO\n"
              "FIONREAD: 0 errno -\n")
        << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.exit_code, 0);
    const auto requests = server_->requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].command, static_cast<unsigned>(DM_VERSION));
    EXPECT_EQ(requests[0].length, 16384u);  // the caller's data_size
    EXPECT_EQ(requests[1].command, static_cast<unsigned>(DM_DEV_STATUS));
}

TEST_F(PreloadTest, NoDaemonIsOneLineAndEnodev) {
    const auto r = probe({"control"});
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, "open: errno ENODEV\n");
    EXPECT_EQ(r.err, "dmemu: no daemon serving " + dir() + " (connect " + dir() +
                         "/ioctl.sock: No such file or directory); start one with: dmemu start " +
                         dir() + "\n");
}

TEST_F(PreloadTest, StaleSocketIsRefusedNotAHang) {
    leave_stale_socket();
    const std::string path = dir() + "/ioctl.sock";
    const auto r = probe({"control"});
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.out, "open: errno ENODEV\n");
    EXPECT_NE(r.err.find("dmemu: no daemon serving " + dir() + " (connect " + path +
                         ": Connection refused)"),
              std::string::npos)
        << r.err;
}

TEST_F(PreloadTest, DaemonGoingAwayMidIoctlIsEio) {
    start_server(/*hang_up=*/true);
    const auto r = probe({"control"});
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.out.find("DM_VERSION: errno EIO\n"), std::string::npos) << r.out;
    EXPECT_EQ(r.err.rfind("dmemu: the daemon serving " + dir() + " went away during an ioctl (", 0),
              0u)
        << r.err;
}

TEST_F(PreloadTest, BlockNodeStatsOpensAndAnswersBlockIoctls) {
    const auto r = probe({"block", "/dev/mapper/lin"});
    EXPECT_EQ(r.out, std::string("stat: blk 253:0 ") + kNode + "\n" +  //
                         "lstat: blk 253:0 " + kNode + "\n" +          //
                         "fstat: blk 253:0 " + kNode + "\n" +          //
                         "fstat dup: blk 253:0 " + kNode + "\n" +      //
                         "BLKGETSIZE64 1048576 BLKGETSIZE 2048 BLKSSZGET 512 BLKBSZGET 4096 "
                         "BLKPBSZGET 4096\n"
                         "BLKIOMIN 512 BLKIOOPT 0 BLKALIGNOFF 0 BLKROGET 0 BLKRAGET 256 "
                         "BLKDISCARDZEROES 0\n"
                         "BLKRASET 1024: BLKRAGET 1024\n"
                         "BLKZEROOUT: 0 bytes 4095,4096,8192: ff 00 ff\n"
                         "BLKZEROOUT unaligned: -1 errno EINVAL\n"
                         "BLKZEROOUT past the end: -1 errno EINVAL\n"
                         "BLKDISCARD: -1 errno EOPNOTSUPP\n"
                         "BLKFLSBUF: 0 errno -\n"
                         "BLKSECDISCARD (to libc): -1 errno ENOTTY\n")
        << r.err;
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(read_text("sys/block/dm-0/bdi/read_ahead_kb"), "512\n");
    // O_TRUNC on a device node truncates nothing.
    EXPECT_EQ(fs::file_size(device_file("mapper/lin")), 1u << 20);
}

TEST_F(PreloadTest, DiskNodeUnderDevIsABlockNode) {
    const auto r = probe({"block", "/dev/ram0"});
    EXPECT_EQ(r.out.substr(0, r.out.find("BLKIOMIN")),
              std::string("stat: blk 1:0 ") + kNode + "\n" + "lstat: blk 1:0 " + kNode + "\n" +
                  "fstat: blk 1:0 " + kNode + "\n" + "fstat dup: blk 1:0 " + kNode + "\n" +
                  "BLKGETSIZE64 16777216 BLKGETSIZE 32768 BLKSSZGET 512 BLKBSZGET 4096 "
                  "BLKPBSZGET 4096\n")
        << r.err;
}

TEST_F(PreloadTest, DeviceWithoutTableIsEnxioOnOpen) {
    const auto r = probe({"block", "/dev/dm-1"});
    EXPECT_EQ(r.out, std::string("stat: blk 253:1 ") + kNode + "\nlstat: blk 253:1 " + kNode +
                         "\nopen: errno ENXIO\n");
}

TEST_F(PreloadTest, InheritedFdIsStillABlockNodeAfterExec) {
    const auto r = probe({"inherit", "/dev/dm-0"});
    EXPECT_EQ(r.out, std::string("child fstat: blk 253:0 ") + kNode + "\nchild exit 0\n") << r.err;
}

TEST_F(PreloadTest, MapperNodesAreMadeRenamedAndRemovedInDir) {
    const auto r = probe({"nodes"});
    EXPECT_EQ(r.out, std::string("mknod x: 0 errno -\n") +      //
                         "stat x: blk 253:5 " + kNode + "\n" +  //
                         "mknod x again: -1 errno EEXIST\n"     //
                         "chown x: 0 errno -\n"                 //
                         "readlink x: -1 errno EINVAL\n"        //
                         "access x: 0 errno -\n"                //
                         "rename x y: 0 errno -\n"              //
                         "stat x: errno ENOENT\n"               //
                         "lstat y: blk 253:5 " +
                         kNode + "\n" +                          //
                         "realpath y: /dev/mapper/y\n"           //
                         "unlink y: 0 errno -\n"                 //
                         "stat y: errno ENOENT\n"                //
                         "unlink y again: -1 errno ENOENT\n"     //
                         "unlink /dev/dm-0: -1 errno EACCES\n"   //
                         "rename to the host: -1 errno EXDEV\n"  //
                         "open nosuch: -1 errno ENOENT\n"        //
                         "stat dir: dir\n")
        << r.err;
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "dev/mapper/x")));
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "dev/mapper/y")));
    EXPECT_TRUE(fs::exists(fs::symlink_status(dir_ / "dev/mapper/lin")));
}

TEST_F(PreloadTest, ProcDevicesIsDirs) {
    const auto r = probe({"proc"});
    EXPECT_EQ(r.out, " 10 misc\n253 device-mapper\n") << r.err;
}

TEST_F(PreloadTest, PreGlibc233EntryPointsAreCovered) {
    const auto r = probe({"compat", "/dev/dm-0"});
    EXPECT_EQ(r.out, std::string("__xstat: blk 253:0 ") + kNode + "\n" +  //
                         "__lxstat: blk 253:0 " + kNode + "\n" +          //
                         "__fxstat: blk 253:0 " + kNode + "\n" +          //
                         "__xmknod z: 0 errno -\n"                        //
                         "__xstat z: blk 253:7 " +
                         kNode + "\n" +  //
                         "unlink z: 0 errno -\n")
        << r.err;
}

TEST_F(PreloadTest, InertWithoutDmemuDir) {
    for (const char* value : {static_cast<const char*>(nullptr), ""}) {
        auto env = preload_env();
        for (auto& [key, v] : env)
            if (key == "DMEMU_DIR") v = value ? std::optional<std::string>(value) : std::nullopt;
        const auto r = run({DMEMU_PRELOAD_PROBE, "block", "/dev/mapper/lin"}, env);
        EXPECT_EQ(r.out, "stat: errno ENOENT\nlstat: errno ENOENT\nopen: errno ENOENT\n");
        EXPECT_EQ(r.err, "");
    }
}

// ---- the host's programs: the normal build only ----------------------------------------------

TEST_F(PreloadTest, StatSeesNodes) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    const auto r = under_preload({"stat", "-c", "%F %t:%T", "/dev/mapper/control", "/dev/dm-0",
                                  "/dev/ram0", "/dev/mapper/lin"});
    EXPECT_EQ(r.out,
              "character special file a:ec\n"
              "block special file fd:0\n"
              "block special file 1:0\n"
              "block special file fd:0\n")
        << r.err;
    EXPECT_EQ(r.exit_code, 0);
}

TEST_F(PreloadTest, StatOfAMissingMapperNameIsEnoentNotTheHosts) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    const auto r = under_preload({"stat", "-c", "%F", "/dev/mapper/nosuch"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "stat: cannot statx '/dev/mapper/nosuch': No such file or directory\n");
}

TEST_F(PreloadTest, HostPathsPassThrough) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    const auto r = under_preload({"stat", "-c", "%F %t:%T", "/dev/null"});
    EXPECT_EQ(r.out, "character special file 1:3\n") << r.err;
}

TEST_F(PreloadTest, InertLibraryLeavesTheHostAlone) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    auto env = preload_env();
    for (auto& [key, v] : env)
        if (key == "DMEMU_DIR") v = std::nullopt;
    const auto r = run({"stat", "-c", "%F %t:%T", "/dev/null", "/proc/devices"}, env);
    EXPECT_EQ(r.out, "character special file 1:3\nregular empty file 0:0\n") << r.err;
    // and with it, /proc/devices is DIR's (a file with bytes in it)
    const auto ours = under_preload({"stat", "-c", "%F", "/proc/devices"});
    EXPECT_EQ(ours.out, "regular file\n") << ours.err;
}

TEST_F(PreloadTest, LsListsDevMapper) {
    DMEMU_SKIP_IF_SANITIZED("ls");
    const auto r = under_preload({"ls", "/dev/mapper"});
    EXPECT_EQ(r.out, "control\nempty\nlin\n") << r.err;
    const auto l = under_preload({"ls", "-l", "/dev/mapper/lin", "/dev/mapper/control"});
    // ls -l pads columns: compare with runs of spaces as one
    std::string text;
    for (char c : l.out)
        if (c != ' ' || text.empty() || text.back() != ' ') text += c;
    const std::string control = text.substr(0, text.find('\n'));
    const std::string lin = text.substr(text.find('\n') + 1);
    EXPECT_EQ(control.rfind("crw------- 1 ", 0), 0u) << l.out << l.err;
    EXPECT_NE(control.find(" 10, 236 "), std::string::npos) << l.out;
    EXPECT_EQ(lin.rfind("brw-rw---- 1 ", 0), 0u) << l.out;
    EXPECT_NE(lin.find(" 253, 0 "), std::string::npos) << l.out;
    EXPECT_EQ(lin.substr(lin.size() - 17), " /dev/mapper/lin\n") << l.out;
    EXPECT_EQ(l.err, "");  // ls -l also asks for SELinux labels and ACLs
}

TEST_F(PreloadTest, CatReadsProcDevicesAndSys) {
    DMEMU_SKIP_IF_SANITIZED("cat");
    const auto r = under_preload(
        {"cat", "/proc/devices", "/sys/dev/block/253:0/dm/name", "/sys/block/ram0/size"});
    EXPECT_EQ(r.out,
              "Character devices:\n  1 mem\n 10 misc\n\nBlock devices:\n  1 ramdisk\n"
              "253 device-mapper\nlin\n32768\n")
        << r.err;
    const auto l = under_preload({"readlink", "/sys/dev/block/253:0"});
    EXPECT_EQ(l.out, "../../block/dm-0\n") << l.err;
}

TEST_F(PreloadTest, LvmsVgLinksLeadToTheNode) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    // What LVM with devices/dir = DIR/dev makes: DIR/dev/VG/LV -> DIR/dev/mapper/VG-LV.
    fs::create_directories(dir_ / "dev/vg");
    fs::create_symlink(dir() + "/dev/mapper/lin", dir_ / "dev/vg/lv");
    const auto st =
        under_preload({"stat", "-L", "-c", "%F %t:%T", dir() + "/dev/vg/lv", "/dev/vg/lv"});
    EXPECT_EQ(st.out, "block special file fd:0\nblock special file fd:0\n") << st.err;
    const auto l = under_preload({"stat", "-c", "%F", dir() + "/dev/vg/lv"});
    EXPECT_EQ(l.out, "symbolic link\n") << l.err;
    const auto rl = under_preload({"readlink", "/dev/vg/lv"});
    EXPECT_EQ(rl.out, dir() + "/dev/mapper/lin\n") << rl.err;
    // (coreutils' realpath walks each component: /dev/vg itself is the host's, so only the
    // DIR spelling resolves; realpath(3) itself resolves both: resolved_from in paths_test.cpp.)
    const auto rp = under_preload({"realpath", dir() + "/dev/vg/lv"});
    EXPECT_EQ(rp.out, dir() + "/dev/mapper/lin\n") << rp.err;
    const auto rd =
        under_preload({"dd", "if=" + dir() + "/dev/vg/lv", "bs=512", "count=1", "status=none"});
    EXPECT_EQ(rd.out, std::string(512, '\xff')) << rd.err;
    const auto rm = under_preload({"rm", dir() + "/dev/vg/lv"});
    EXPECT_EQ(rm.exit_code, 0) << rm.err;
    EXPECT_FALSE(fs::is_symlink(dir_ / "dev/vg/lv"));
    EXPECT_TRUE(fs::is_symlink(dir_ / "dev/mapper/lin"));  // the node stays
}

TEST_F(PreloadTest, MknodCreatesAMapperNodeSymlink) {
    DMEMU_SKIP_IF_SANITIZED("mknod");
    const auto r = under_preload({"mknod", "/dev/mapper/q", "b", "253", "9"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(fs::read_symlink(dir_ / "dev/mapper/q").string(), "b:253:9");
}

TEST_F(PreloadTest, DdWritesAndReadsThroughNodes) {
    DMEMU_SKIP_IF_SANITIZED("dd");
    std::ofstream(dir_ / "src", std::ios::binary) << std::string(4096, 'A');
    const auto w = under_preload(
        {"dd", "if=" + dir() + "/src", "of=/dev/mapper/lin", "bs=4096", "seek=1", "status=none"});
    EXPECT_EQ(w.exit_code, 0) << w.err;
    EXPECT_EQ(fs::file_size(device_file("mapper/lin")), 1u << 20);  // not truncated
    EXPECT_EQ(file_bytes(device_file("mapper/lin"), 4095, 2),
              "\xff"
              "A");
    EXPECT_EQ(file_bytes(device_file("mapper/lin"), 8191, 2), "A\xff");
    const auto rd = under_preload({"dd", "if=/dev/dm-0", "of=" + dir() + "/out", "bs=512", "skip=8",
                                   "count=1", "status=none"});
    EXPECT_EQ(rd.exit_code, 0) << rd.err;
    EXPECT_EQ(file_bytes(dir_ / "out", 0, 4096), std::string(512, 'A'));
}

TEST_F(PreloadTest, Mkfs4FormatsADisk) {
    DMEMU_SKIP_IF_SANITIZED("mkfs.ext4");
    const auto r = under_preload({"mkfs.ext4", "-q", "/dev/ram0"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(file_bytes(device_file("disks/ram0"), 1024 + 56, 2), "\x53\xef");  // s_magic
}

TEST_F(PreloadTest, DmsetupVersionAsksTheDaemon) {
    DMEMU_SKIP_IF_SANITIZED("dmsetup");
    start_server();
    const auto r = under_preload({"/usr/sbin/dmsetup", "version"});
    EXPECT_EQ(r.out.substr(r.out.find('\n') + 1), "Driver version:    4.47.0\n") << r.err;
    EXPECT_EQ(r.out.rfind("Library version:   1.02.", 0), 0u) << r.out;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(r.exit_code, 0);
}

TEST_F(PreloadTest, DmsetupLsRoundTripsAListReply) {
    DMEMU_SKIP_IF_SANITIZED("dmsetup");
    start_server();
    const auto r = under_preload({"/usr/sbin/dmsetup", "ls"});
    EXPECT_EQ(r.out, "No devices found\n") << r.err;
    EXPECT_EQ(r.exit_code, 0);
}

TEST_F(PreloadTest, DmsetupWithoutDaemonSaysSoAndStops) {
    DMEMU_SKIP_IF_SANITIZED("dmsetup");
    const auto r = under_preload({"/usr/sbin/dmsetup", "version"});
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("dmemu: no daemon serving " + dir() + " (connect " + dir() +
                         "/ioctl.sock: No such file or directory); start one with: dmemu start " +
                         dir() + "\n"),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace dmemu::preload_test
