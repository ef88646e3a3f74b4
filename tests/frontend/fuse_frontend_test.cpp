// SPDX-License-Identifier: GPL-2.0-only
// The FUSE front end seen by plain POSIX calls: a real mount, a real loop thread owning the
// DeviceMapper, and the test thread doing open/pread/pwrite/stat/readdir. Client programs (dd,
// mkfs, debugfs, fio) are in fuse_clients_test.cpp; the daemon's mount in daemon_mount_test.cpp.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using emu::DmCommand;
using emu::DmRequest;
using emu::TargetSpec;

void round_trip(const std::string& file, off_t off, std::size_t len, int seed) {
    const int fd = ::open(file.c_str(), O_RDWR);
    ASSERT_GE(fd, 0) << file << ": " << std::strerror(errno);
    const auto data = pattern(len, seed);
    EXPECT_EQ(::pwrite(fd, data.data(), len, off), static_cast<ssize_t>(len));
    std::vector<char> back(len);
    EXPECT_EQ(::pread(fd, back.data(), len, off), static_cast<ssize_t>(len));
    EXPECT_EQ(back, data) << "offset " << off << " length " << len;
    ::close(fd);
}

TEST_F(FuseFrontendTest, LinearRoundTripAlignedAndUnaligned) {
    add_disk("d0", 2048);
    ASSERT_EQ(create("lin", linear("d0", 2048)), 0);
    struct stat st;
    ASSERT_EQ(::stat(path("mapper/lin").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 2048 * 512);
    round_trip(path("mapper/lin"), 0, 65536, 1);
    round_trip(path("mapper/lin"), 777, 5000, 2);
    round_trip(path("mapper/lin"), 1030, 10, 3);
    // The unaligned writes kept the bytes around them.
    const int fd = ::open(path("mapper/lin").c_str(), O_RDONLY);
    std::vector<char> b(16);
    ASSERT_EQ(::pread(fd, b.data(), 16, 1024), 16);
    const auto p2 = pattern(5000, 2);
    EXPECT_EQ(std::vector<char>(b.begin(), b.begin() + 6),
              std::vector<char>(p2.begin() + 247, p2.begin() + 253));
    ::close(fd);
}

TEST_F(FuseFrontendTest, StripedRoundTrip) {
    add_disk("d0", 1024);
    add_disk("d1", 1024);
    ASSERT_EQ(create("str", {TargetSpec{0, 2048, "striped", "2 8 /dev/d0 0 /dev/d1 0"}}), 0);
    round_trip(path("mapper/str"), 0, 1 << 20, 4);
    round_trip(path("mapper/str"), 4095, 9000, 5);
}

TEST_F(FuseFrontendTest, DisksAreFilesToo) {
    add_disk("d0", 64);
    struct stat st;
    ASSERT_EQ(::stat(path("disks/d0").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 64 * 512);
    round_trip(path("disks/d0"), 100, 1000, 6);
}

TEST_F(FuseFrontendTest, OpenCountShownAndRemoveRefused) {
    add_disk("d0", 128);
    ASSERT_EQ(create("busy", linear("d0", 128)), 0);
    const int fd = ::open(path("mapper/busy").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(status("busy").open_count, 1u);
    EXPECT_EQ(remove("busy"), -EBUSY);
    ::close(fd);
    ASSERT_TRUE(wait_open_count("busy", 0));
    EXPECT_EQ(remove("busy"), 0);
}

TEST_F(FuseFrontendTest, FilesFollowCreateRemoveRename) {
    add_disk("d0", 128);
    struct stat st;
    EXPECT_NE(::stat(path("mapper/a").c_str(), &st), 0);
    ASSERT_EQ(create("a", linear("d0", 128)), 0);
    ASSERT_EQ(::stat(path("mapper/a").c_str(), &st), 0);
    const ino_t ino = st.st_ino;
    DmRequest r;
    r.cmd = DmCommand::dev_rename;
    r.name = "a";
    r.new_name = "b";
    ASSERT_EQ(ioctl(r).error, 0);
    EXPECT_NE(::stat(path("mapper/a").c_str(), &st), 0);
    EXPECT_EQ(errno, ENOENT);
    ASSERT_EQ(::stat(path("mapper/b").c_str(), &st), 0);
    EXPECT_EQ(st.st_ino, ino);
    std::vector<std::string> names;
    for (auto& e : fs::directory_iterator(path("mapper"))) names.push_back(e.path().filename());
    EXPECT_EQ(names, std::vector<std::string>{"b"});
    ASSERT_EQ(remove("b"), 0);
    EXPECT_NE(::stat(path("mapper/b").c_str(), &st), 0);
    EXPECT_TRUE(fs::is_empty(path("mapper")));
}

TEST_F(FuseFrontendTest, SuspendHoldsWriteUntilResume) {
    add_disk("d0", 128);
    ASSERT_EQ(create("s", linear("d0", 128)), 0);
    const int fd = ::open(path("mapper/s").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(suspend("s"), 0);
    const auto data = pattern(4096, 7);
    std::atomic<bool> finished{false};
    ssize_t written = -2;
    std::thread writer([&] {
        written = ::pwrite(fd, data.data(), data.size(), 8192);
        finished = true;
    });
    std::this_thread::sleep_for(300ms);
    EXPECT_FALSE(finished);
    ASSERT_EQ(resume("s"), 0);
    writer.join();
    EXPECT_EQ(written, 4096);
    std::vector<char> back(4096);
    EXPECT_EQ(::pread(fd, back.data(), back.size(), 8192), 4096);
    EXPECT_EQ(back, data);
    ::close(fd);
}

TEST_F(FuseFrontendTest, NoLiveTableIsEnxio) {
    ASSERT_EQ(create("empty", {}), 0);
    EXPECT_EQ(::open(path("mapper/empty").c_str(), O_RDONLY), -1);
    EXPECT_EQ(errno, ENXIO);
    EXPECT_TRUE(fs::is_empty(path("mapper")));  // not listed until it has a live table
}

TEST_F(FuseFrontendTest, ReadOnlyTableRefusesWrites) {
    add_disk("d0", 128);
    ASSERT_EQ(create("ro", linear("d0", 128), /*read_only=*/true), 0);
    // As a block device: the open for writing succeeds, the write fails with EPERM
    // (blkdev_write_iter; fixtures/oracle t35 captures dd doing it).
    const int fd = ::open(path("mapper/ro").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char b[512] = {};
    EXPECT_EQ(::pwrite(fd, b, sizeof b, 0), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_EQ(::pread(fd, b, sizeof b, 0), 512);
    ::close(fd);
}

TEST_F(FuseFrontendTest, ReadPastEndIsShortWritePastEndIsEnospc) {
    add_disk("d0", 8);
    ASSERT_EQ(create("tiny", linear("d0", 8)), 0);
    const int fd = ::open(path("mapper/tiny").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char b[1024] = {};
    EXPECT_EQ(::pread(fd, b, sizeof b, 4096 - 100), 100);
    EXPECT_EQ(::pread(fd, b, sizeof b, 4096), 0);
    EXPECT_EQ(::pwrite(fd, b, sizeof b, 4096), -1);
    EXPECT_EQ(errno, ENOSPC);
    ::close(fd);
}

TEST_F(FuseFrontendTest, MountRefusesBusyMountpoint) {
    std::string error;
    EXPECT_EQ(emu::FuseFrontend::mount(*dm, ctx, dir.string(), &error), nullptr);
    EXPECT_NE(error.find("busy"), std::string::npos) << error;
    EXPECT_EQ(emu::FuseFrontend::mount(*dm, ctx, "/etc/hostname", &error), nullptr);
    EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
}

// Held I/O occupies no thread: with more reads held on a suspended device than a worker pool
// would have had threads, another device still answers. (Reads: the kernel lets only one
// direct write per file in at a time, see docs/fuse.md.)
TEST_F(FuseFrontendTest, HeldReadsDoNotStallOtherDevices) {
    add_disk("d0", 128);
    add_disk("d1", 128);
    ASSERT_EQ(create("held", linear("d0", 128)), 0);
    ASSERT_EQ(create("free", linear("d1", 128)), 0);
    round_trip(path("mapper/held"), 0, 4096, 9);
    ASSERT_EQ(suspend("held"), 0);
    constexpr int kReaders = 24;
    std::atomic<int> finished{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < kReaders; ++i)
        readers.emplace_back([&, i] {
            const int fd = ::open(path("mapper/held").c_str(), O_RDONLY);
            std::vector<char> b(512);
            if (::pread(fd, b.data(), b.size(), i * 128) == 512 &&
                std::equal(b.begin(), b.end(), pattern(4096, 9).begin() + i * 128))
                ++finished;
            ::close(fd);
        });
    std::size_t held = 0;
    for (int i = 0; i < 200 && held < kReaders; ++i) {
        std::this_thread::sleep_for(10ms);
        on_loop([&] { held = dm->find_mapped("held")->held(); });
    }
    EXPECT_EQ(held, static_cast<std::size_t>(kReaders));
    round_trip(path("mapper/free"), 0, 4096, 8);  // answered while those are held
    EXPECT_EQ(finished, 0);
    ASSERT_EQ(resume("held"), 0);
    for (auto& t : readers) t.join();
    EXPECT_EQ(finished, kReaders);
}

// unmount() answers EIO to I/O a suspended device holds, rather than waiting for a resume.
TEST_F(FuseFrontendTest, UnmountAnswersHeldIoWithEio) {
    add_disk("d0", 128);
    ASSERT_EQ(create("s", linear("d0", 128)), 0);
    const int fd = ::open(path("mapper/s").c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(suspend("s"), 0);
    ssize_t got = 0;
    int err = 0;
    std::thread reader([&] {
        char b[512];
        got = ::pread(fd, b, sizeof b, 0);
        err = errno;
    });
    std::size_t held = 0;
    for (int i = 0; i < 200 && held == 0; ++i) {
        std::this_thread::sleep_for(10ms);
        on_loop([&] { held = dm->find_mapped("s")->held(); });
    }
    ASSERT_EQ(held, 1u);
    fe->unmount();
    reader.join();
    EXPECT_EQ(got, -1);
    EXPECT_EQ(err, EIO);
    ::close(fd);
    EXPECT_EQ(resume("s"), 0);  // the held Bio completes into the front end's own buffer
}

// close() issues no flush, as on a block device: it returns while the device is suspended
// (a process exiting with an inherited fd must not hang), and fsync is what waits.
TEST_F(FuseFrontendTest, CloseOnASuspendedDeviceDoesNotWaitButFsyncDoes) {
    add_disk("d0", 128);
    ASSERT_EQ(create("s", linear("d0", 128)), 0);
    const int for_close = ::open(path("mapper/s").c_str(), O_RDWR);
    const int for_fsync = ::open(path("mapper/s").c_str(), O_RDWR);
    ASSERT_GE(for_close, 0);
    ASSERT_GE(for_fsync, 0);
    ASSERT_EQ(suspend("s"), 0);
    auto closed = std::async(std::launch::async, [&] { return ::close(for_close); });
    ASSERT_EQ(closed.wait_for(2s), std::future_status::ready) << "close() waited for resume";
    EXPECT_EQ(closed.get(), 0);
    auto synced = std::async(std::launch::async, [&] { return ::fsync(for_fsync); });
    EXPECT_EQ(synced.wait_for(300ms), std::future_status::timeout) << "fsync() was not held";
    ASSERT_EQ(resume("s"), 0);
    EXPECT_EQ(synced.get(), 0);
    ::close(for_fsync);
}

}  // namespace
}  // namespace dmemu::frontend_test
