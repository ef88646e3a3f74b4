// SPDX-License-Identifier: GPL-2.0-only
// `dmemu-setup fault` against a running daemon: the commands and their errors through the
// control socket, and (when /dev/fuse is usable) an eio fault failing reads of the block file
// DIR/mnt/mapper/NAME with EIO until `fault clear`, with the firing in the daemon's log.
#include <fcntl.h>

#include <cerrno>

#include "emu/frontend/fuse_frontend.hpp"
#include "tests/cli/daemon_fixture.hpp"

namespace dmemu::cli_test {
namespace {

class DaemonFaults : public DaemonE2E {
protected:
    // The FIRED column of fault `id` of `disk` in `fault ls` output; -1 if absent.
    static long fired(const std::string& ls, const std::string& disk, std::uint64_t id) {
        std::istringstream lines(ls);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream words(line);
            std::string d, i, kind, n;
            if (words >> d >> i >> kind >> n && d == disk && i == std::to_string(id))
                return std::stol(n);
        }
        return -1;
    }
    // pread of `bytes` at `offset`: 0 when all came back, else the errno.
    static int pread_errno(const std::string& path, off_t offset, std::size_t bytes) {
        const int fd = ::open(path.c_str(), O_RDONLY);
        if (fd < 0) return errno;
        std::vector<char> buf(bytes);
        const ssize_t n = ::pread(fd, buf.data(), bytes, offset);
        const int err = n < 0 ? errno : (static_cast<std::size_t>(n) == bytes ? 0 : -1);
        ::close(fd);
        return err;
    }
};

TEST_F(DaemonFaults, AddLsRmClearThroughTheSocket) {
    ASSERT_EQ(cli({"disk", "add", "ram0", "--size", "8M", "--devno", "1:0"}).exit_code, 0);
    ASSERT_EQ(cli({"disk", "add", "ram1", "--size", "8M", "--devno", "1:1"}).exit_code, 0);
    auto add = cli({"fault", "add", "ram0", "eio", "sectors=2048-2055", "op=read"});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    EXPECT_EQ(add.out, "1\n");
    EXPECT_EQ(cli({"fault", "add", "ram1", "latency", "ms=2"}).out, "1\n");
    EXPECT_EQ(cli({"fault", "add", "ram0", "full", "after=64"}).out, "2\n");
    const auto ls = cli({"fault", "ls"});
    EXPECT_EQ(ls.exit_code, 0);
    EXPECT_EQ(ls.out,
              "Disk             Id Kind           Fired Spec\n"
              "ram0              1 eio                0 eio sectors=2048-2055 op=read\n"
              "ram0              2 full               0 full after=64\n"
              "ram1              1 latency            0 latency ms=2\n");
    EXPECT_EQ(cli({"fault", "rm", "ram0", "2"}).exit_code, 0);
    EXPECT_EQ(fired(cli({"fault", "ls", "ram0"}).out, "ram0", 2), -1);
    EXPECT_EQ(cli({"fault", "clear", "ram1"}).exit_code, 0);
    EXPECT_EQ(fired(cli({"fault", "ls"}).out, "ram1", 1), -1);
    EXPECT_EQ(cli({"fault", "clear"}).exit_code, 0);
    EXPECT_EQ(cli({"fault", "ls"}).out, "No faults found\n");
}

TEST_F(DaemonFaults, ErrorsCarryTheDaemonsWordsAndExitOne) {
    ASSERT_EQ(cli({"disk", "add", "ram0", "--size", "8M"}).exit_code, 0);
    const std::pair<Args, std::string> cases[] = {
        {{"fault", "add", "nosuch", "eio"}, "fault: no disk named 'nosuch'\n"},
        {{"fault", "ls", "nosuch"}, "fault: no disk named 'nosuch'\n"},
        {{"fault", "add", "ram0", "eio", "sectors=200-100"},
         "fault: eio: bad sector range '200-100' (FIRST-LAST or SECTOR)\n"},
        {{"fault", "rm", "ram0", "9"}, "fault: disk 'ram0' has no fault 9\n"},
        {{"fault", "add", "ram0"}, "fault add: a disk name and a fault spec are required\n"},
    };
    for (const auto& [args, err] : cases) {
        const auto r = cli(args);
        EXPECT_EQ(r.exit_code, 1) << args[1];
        EXPECT_EQ(r.out, "") << args[1];
        EXPECT_EQ(r.err, err) << args[1];
    }
}

TEST_F(DaemonFaults, EioFaultFailsReadsOfTheBlockFileUntilCleared) {
    std::string why;
    if (!emu::FuseFrontend::fuse_usable(&why)) {
        if (const char* ci = std::getenv("CI"); ci && std::string(ci) == "true")
            FAIL() << "CI must run the FUSE tests, but /dev/fuse is unusable: " << why;
        GTEST_SKIP() << "FUSE unusable here: " << why;
    }
    ASSERT_EQ(cli({"disk", "add", "ram0", "--size", "8M", "--devno", "1:0"}).exit_code, 0);
    ASSERT_EQ(cli({"create", "lin", "--table", "0 16384 linear /dev/ram0 0"}).exit_code, 0);
    const std::string dev = dir_ + "/mnt/mapper/lin";
    for (int i = 0; i < 500 && !std::filesystem::exists(dev); ++i)
        std::this_thread::sleep_for(10ms);
    ASSERT_TRUE(std::filesystem::exists(dev)) << slurp(log());

    ASSERT_EQ(cli({"fault", "add", "ram0", "eio", "sectors=2048-2055", "op=read"}).out, "1\n");
    EXPECT_EQ(pread_errno(dev, 2048 * 512, 4096), EIO);
    EXPECT_EQ(pread_errno(dev, 0, 4096), 0);
    EXPECT_EQ(pread_errno(dev, 4096 * 512, 4096), 0);
    EXPECT_GE(fired(cli({"fault", "ls"}).out, "ram0", 1), 1);
    EXPECT_NE(slurp(log()).find("disk=ram0 fault=1 kind=eio"), std::string::npos) << slurp(log());

    ASSERT_EQ(cli({"fault", "clear"}).exit_code, 0);
    EXPECT_EQ(pread_errno(dev, 2048 * 512, 4096), 0);
    EXPECT_EQ(cli({"remove", "lin"}).exit_code, 0);
}

}  // namespace
}  // namespace dmemu::cli_test
