// SPDX-License-Identifier: GPL-2.0-only
// probe_mountpoint: what sits at a directory before we mount there. (A dead mount needs a
// killed server: daemon_mount_test.cpp makes one.)
#include "emu/frontend/mountpoint.hpp"

#include <filesystem>
#include <fstream>

#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

namespace fs = std::filesystem;
using emu::MountpointState;
using emu::probe_mountpoint;

class Mountpoint : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_FALSE(dir.empty()); }
    void TearDown() override { fs::remove_all(dir); }
    fs::path dir = make_temp_dir("dmemu-mountpoint");
};

TEST_F(Mountpoint, PlainDirectoryIsFree) {
    const auto p = probe_mountpoint(dir.string());
    EXPECT_EQ(p.state, MountpointState::free);
    EXPECT_EQ(p.fstype, "");
}

TEST_F(Mountpoint, MissingDirectoryIsUnusableWithTheReason) {
    const auto p = probe_mountpoint((dir / "nope").string());
    EXPECT_EQ(p.state, MountpointState::unusable);
    EXPECT_EQ(p.why, "No such file or directory");
}

TEST_F(Mountpoint, RegularFileIsUnusable) {
    std::ofstream(dir / "file") << "x";
    const auto p = probe_mountpoint((dir / "file").string());
    EXPECT_EQ(p.state, MountpointState::unusable);
    EXPECT_EQ(p.why, "not a directory");
}

TEST_F(Mountpoint, UnmountingWhereNothingIsDeadIsANoOp) {
    std::string error;
    EXPECT_TRUE(emu::unmount_dead_fuse(dir.string(), &error)) << error;
    EXPECT_EQ(error, "");
    EXPECT_EQ(probe_mountpoint(dir.string()).state, MountpointState::free);
}

// The fixture's live mount, found in /proc/self/mountinfo with its type.
TEST_F(FuseFrontendTest, ProbeSeesALiveMountAndItsType) {
    const auto p = probe_mountpoint(dir.string());
    EXPECT_EQ(p.state, MountpointState::mounted);
    EXPECT_EQ(p.fstype, "fuse.dmemu");
    std::string error;
    EXPECT_TRUE(emu::unmount_dead_fuse(dir.string(), &error)) << error;  // live: left alone
    EXPECT_EQ(probe_mountpoint(dir.string()).state, MountpointState::mounted);
}

// mountinfo escapes a space as \040: the probe matches the real name.
TEST_F(FuseFrontendTest, ProbeMatchesAMountPointWithASpace) {
    const fs::path spaced = dir.string() + " two words";
    ASSERT_TRUE(fs::create_directory(spaced));
    std::string error;
    auto second = emu::FuseFrontend::mount(*dm, ctx, spaced.string(), &error);
    ASSERT_NE(second, nullptr) << error;
    const auto p = probe_mountpoint(spaced.string());
    EXPECT_EQ(p.state, MountpointState::mounted);
    EXPECT_EQ(p.fstype, "fuse.dmemu");
    second->unmount();
    EXPECT_EQ(probe_mountpoint(spaced.string()).state, MountpointState::free);
    fs::remove(spaced);
}

}  // namespace
}  // namespace dmemu::frontend_test
