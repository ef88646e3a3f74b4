// SPDX-License-Identifier: GPL-2.0-only
// The unprivileged CI pass (tools/test.sh runs this executable as a user it creates, with
// DMEMU_EXPECT_UNPRIVILEGED=1): proves the FUSE tests really ran without root, with the mount
// made by the setuid helper fusermount3 and owned by that user. Skipped in other runs.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

// The "CapEff:" line of /proc/self/status, in hex.
std::string effective_capabilities() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("CapEff:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 7));
    return "?";
}

// The super options of the mount at `path` in /proc/self/mountinfo ("rw,user_id=1001,...").
std::string mount_options(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    std::string line, found;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string id, parent, devno, root, mount_point;
        f >> id >> parent >> devno >> root >> mount_point;
        if (mount_point != path) continue;
        std::istringstream tail(line.substr(line.find(" - ") + 3));
        std::string fstype, source;
        tail >> fstype >> source >> found;
    }
    return found;
}

TEST_F(FuseFrontendTest, UnprivilegedRunMountsThroughFusermount3) {
    if (!expect_unprivileged())
        GTEST_SKIP() << "not the unprivileged pass (DMEMU_EXPECT_UNPRIVILEGED=1 selects it)";
    EXPECT_NE(::getuid(), 0u);
    EXPECT_NE(::geteuid(), 0u);
    EXPECT_EQ(effective_capabilities(), "0000000000000000");
    struct stat helper {};
    ASSERT_EQ(::stat("/usr/bin/fusermount3", &helper), 0);
    EXPECT_TRUE(helper.st_mode & S_ISUID) << "fusermount3 is not setuid";
    EXPECT_EQ(helper.st_uid, 0u);
    // The kernel records who mounted; only fusermount3 could have mounted for a non-root uid.
    const std::string opts = mount_options(dir.string());
    EXPECT_NE(opts.find("user_id=" + std::to_string(::getuid())), std::string::npos) << opts;
    EXPECT_EQ(opts.find("allow_other"), std::string::npos) << opts;
    add_disk("d0", 64);
    const int fd = ::open(path("disks/d0").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const auto data = pattern(4096, 9);
    EXPECT_EQ(::pwrite(fd, data.data(), data.size(), 0), 4096);
    std::vector<char> back(4096);
    EXPECT_EQ(::pread(fd, back.data(), back.size(), 0), 4096);
    EXPECT_TRUE(back == data);
    ::close(fd);
}

}  // namespace
}  // namespace dmemu::frontend_test
