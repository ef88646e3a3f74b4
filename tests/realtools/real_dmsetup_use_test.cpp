// SPDX-License-Identifier: GPL-2.0-only
// What a user does with the real dmsetup and ordinary tools under `dmemu exec`, end to end with
// the daemon: a filesystem on a node, a wait that really waits, a mirror created, swapped and
// removed, and the endpoint surviving what a broken or dying client sends it.
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emu/ioctl/ioctl_wire.h"
#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {
namespace {

class RealDmsetupUse : public RealToolsTest {
protected:
    // A raw connection to DIR/ioctl.sock, as the preload library makes one.
    int connect_endpoint() {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        const std::string p = path(DMEMU_WIRE_SOCKET);
        std::strncpy(a.sun_path, p.c_str(), sizeof a.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    void expect_daemon_answers() {
        const auto r = exec_shell("dmsetup version");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.out.find("Driver version:    4.47.0"), std::string::npos) << r.out;
    }
};

TEST_F(RealDmsetupUse, Ext4OnALinearNodeChecksClean) {
    const auto r = exec_shell(
        "set -e; dmsetup create fs --table '0 65536 linear /dev/ram0 0'; "
        "mkfs.ext4 -q -F /dev/mapper/fs; e2fsck -fn /dev/mapper/fs >/dev/null; "
        "stat -c '%F %t:%T' /dev/mapper/fs /dev/dm-0; blockdev --getsize64 /dev/mapper/fs; "
        "dmsetup remove fs");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "block special file fe:0\nblock special file fe:0\n33554432\n");
}

// BLKDISCARD (util-linux's blkdiscard) is a discard bio through the table: the range of a RAM
// disk under a linear device reads back as zeros; the error target takes discards and fails
// them (dm-target.c: "Return error for discards instead of -EOPNOTSUPP").
TEST_F(RealDmsetupUse, BlkdiscardGoesThroughTheTable) {
    const auto r = exec_shell(
        "set -e; dmsetup create l --table '0 65536 linear /dev/ram0 2048'; "
        "tr '\\0' '\\252' < /dev/zero | dd of=/dev/mapper/l bs=1M count=3 iflag=fullblock "
        "oflag=direct status=none; "
        "blkdiscard -o 1048576 -l 1048576 /dev/mapper/l; "
        "dd if=/dev/mapper/l bs=1M count=3 iflag=direct status=none | od -An -tx1 -v | sort | uniq "
        "-c; "
        "od -An -tx1 -j $((2048 * 512 + 1048576)) -N 4 /dev/ram0; "
        "dmsetup create e --table '0 2048 error'; blkdiscard -f /dev/mapper/e || echo \"exit $?\"");
    EXPECT_EQ(r.out,
              "  65536  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
              " 131072  aa aa aa aa aa aa aa aa aa aa aa aa aa aa aa aa\n"
              " 00 00 00 00\nexit 1\n")
        << r.err;
    EXPECT_NE(
        r.err.find("blkdiscard: /dev/mapper/e: BLKDISCARD ioctl failed: Input/output error\n"),
        std::string::npos)
        << r.err;
}

TEST_F(RealDmsetupUse, WaitReturnsOnlyAfterTheNextEvent) {
    // `dmsetup wait` blocks in DM_DEV_WAIT until the event counter moves; a rename raises it.
    const auto r = exec_shell(
        "dmsetup create w --table '0 100 zero' || exit 1; "
        "dmsetup wait w 0 > /dev/null & pid=$!; sleep 1; "
        "kill -0 $pid || { echo 'wait returned without an event'; exit 1; }; "
        "dmsetup rename w w2; wait $pid; echo \"wait exit $?\"; "
        "dmsetup info -c --noheadings -o name,events w2; dmsetup remove w2",
        {}, false);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "wait exit 0\nw2:1\n") << r.err;
}

TEST_F(RealDmsetupUse, MirrorCreatedSwappedAndRemoved) {
    const auto r = exec_shell(
        "set -e; dmsetup create m --table '0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0'; "
        "dd if=/dev/urandom of=/tmp/dmemu-pattern.$$ bs=64k count=8 2>/dev/null; "
        "dd if=/tmp/dmemu-pattern.$$ of=/dev/mapper/m bs=64k oflag=direct 2>/dev/null; "
        "for i in $(seq 100); do dmsetup status m | grep -q ' 64/64 ' && break; sleep 0.1; done; "
        "dmsetup status m; "
        "dmsetup load m --table '0 65536 mirror core 1 1024 3 /dev/ram0 0 /dev/ram1 0 /dev/ram2 "
        "0'; "
        "dmsetup suspend m; dmsetup resume m; dmsetup table m; "
        "cmp -n 524288 /tmp/dmemu-pattern.$$ /dev/mapper/m; rm -f /tmp/dmemu-pattern.$$; "
        "dmsetup remove m; dmsetup ls");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out,
              "0 65536 mirror 2 1:0 1:1 64/64 1 AA 1 core\n"
              "0 65536 mirror core 1 1024 3 1:0 0 1:1 0 1:2 0\n"
              "No devices found\n");
}

TEST_F(RealDmsetupUse, GarbageOnTheEndpointIsHungUpOn) {
    const int fd = connect_endpoint();
    ASSERT_GE(fd, 0);
    const char garbage[] = "GET / HTTP/1.0\r\n\r\n";
    ASSERT_EQ(::write(fd, garbage, sizeof garbage), static_cast<ssize_t>(sizeof garbage));
    // Hung up: end of file, or a reset (the daemon closed with our garbage still unread).
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    EXPECT_TRUE(n == 0 || (n < 0 && errno == ECONNRESET)) << "read gave " << n;
    ::close(fd);
    expect_daemon_answers();
}

TEST_F(RealDmsetupUse, ClientsThatVanishMidIoctlLeaveTheDaemonServing) {
    ASSERT_EQ(exec_shell("dmsetup create v --table '0 100 zero'").exit_code, 0);
    // A header promising a body that never comes.
    int fd = connect_endpoint();
    ASSERT_GE(fd, 0);
    dmemu_wire_request head{DMEMU_WIRE_REQUEST_MAGIC, static_cast<std::uint32_t>(DM_DEV_STATUS),
                            16384, 0};
    ASSERT_EQ(::write(fd, &head, sizeof head), static_cast<ssize_t>(sizeof head));
    ::close(fd);
    // A DM_DEV_WAIT that is still waiting when its caller goes away.
    fd = connect_endpoint();
    ASSERT_GE(fd, 0);
    std::vector<std::uint8_t> buf(16384, 0);
    auto* dmi = reinterpret_cast<dm_ioctl*>(buf.data());
    dmi->version[0] = 4;
    dmi->data_size = static_cast<std::uint32_t>(buf.size());
    dmi->data_start = sizeof(dm_ioctl);
    std::strcpy(dmi->name, "v");
    head = {DMEMU_WIRE_REQUEST_MAGIC, static_cast<std::uint32_t>(DM_DEV_WAIT),
            static_cast<std::uint32_t>(buf.size()), 0};
    ASSERT_EQ(::write(fd, &head, sizeof head), static_cast<ssize_t>(sizeof head));
    ASSERT_EQ(::write(fd, buf.data(), buf.size()), static_cast<ssize_t>(buf.size()));
    ::close(fd);
    expect_daemon_answers();
    // The abandoned wait wakes on the next event and finds nobody to answer.
    const auto r = exec_shell("dmsetup rename v v2 && dmsetup remove v2 && dmsetup ls");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "No devices found\n");
}

TEST_F(RealDmsetupUse, AStoppedDaemonIsAClearErrorNamingDir) {
    ASSERT_EQ(cli_test::run_program(dmemu_bin(), {"stop", dir_.string()}).exit_code, 0);
    started_ = false;
    const auto r = exec_shell("dmsetup ls");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find(dir_.string()), std::string::npos) << r.err;
}

}  // namespace
}  // namespace dmemu::realtools_test
