// SPDX-License-Identifier: GPL-2.0-only
// The FUSE front end seen by plain POSIX clients: a real mount, a real loop thread owning the
// DeviceMapper, and the test thread doing open/pread/pwrite, dd, mkfs.ext4, fio.
#include "emu/frontend/fuse_frontend.hpp"

#include "emu/core/device_mapper.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace dmemu::emu {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The one place FUSE tests decide to skip.
bool fuse_skip_reason(std::string* why) { return !FuseFrontend::fuse_usable(why); }

bool have_tool(const char* name) {
    return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

// An emulator on its own loop thread, mounted in a temporary directory.
class FuseFrontendTest : public ::testing::Test {
protected:
    asio::io_context ctx{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard{ctx.get_executor()};
    RealClock clock{ctx};
    Rng rng{42};
    KernelLog klog;
    TargetRegistry registry;
    std::unique_ptr<DeviceMapper> dm;
    std::thread loop_thread;
    fs::path dir;
    std::unique_ptr<FuseFrontend> fe;

    void SetUp() override {
        std::string why;
        if (fuse_skip_reason(&why)) GTEST_SKIP() << why;
        klog.set_echo(false);
        register_builtin_targets(registry);
        dm = std::make_unique<DeviceMapper>(ctx, clock, rng, klog, registry, DeviceMapper::Options{});
        loop_thread = std::thread([this] { ctx.run(); });
        char tmpl[] = "/tmp/dmemu-fuse-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        dir = tmpl;
        std::string error;
        fe = FuseFrontend::mount(*dm, ctx, dir.string(), &error);
        ASSERT_NE(fe, nullptr) << error;
    }

    void TearDown() override {
        if (fe) fe->unmount();
        fe.reset();
        if (dm) {
            std::promise<void> done;
            asio::co_spawn(ctx, dm->shutdown(), [&](std::exception_ptr) { done.set_value(); });
            done.get_future().get();
        }
        guard.reset();
        if (loop_thread.joinable()) loop_thread.join();
        dm.reset();
        if (!dir.empty()) fs::remove(dir);
    }

    DmReply ioctl(DmRequest req) {
        std::promise<DmReply> p;
        asio::co_spawn(ctx, dm->ioctl(std::move(req)),
                       [&](std::exception_ptr e, DmReply r) {
                           if (e) r.error = -EFAULT;
                           p.set_value(std::move(r));
                       });
        return p.get_future().get();
    }
    void add_disk(const std::string& name, Sector sectors) {
        DmRequest r;
        r.cmd = DmCommand::disk_add;
        r.name = name;
        r.size_sectors = sectors;
        ASSERT_EQ(ioctl(r).error, 0);
    }
    // dmsetup create: DEV_CREATE, TABLE_LOAD, resume.
    int create(const std::string& name, std::vector<TargetSpec> table, bool read_only = false) {
        DmRequest r;
        r.cmd = DmCommand::dev_create;
        r.name = name;
        if (int e = ioctl(r).error) return e;
        if (table.empty()) return 0;
        r.cmd = DmCommand::table_load;
        r.targets = std::move(table);
        r.read_only = read_only;
        if (int e = ioctl(r).error) return e;
        return resume(name);
    }
    int simple(DmCommand cmd, const std::string& name, bool suspend = false) {
        DmRequest r;
        r.cmd = cmd;
        r.name = name;
        r.suspend = suspend;
        return ioctl(r).error;
    }
    int resume(const std::string& name) { return simple(DmCommand::dev_suspend, name, false); }
    int suspend(const std::string& name) { return simple(DmCommand::dev_suspend, name, true); }
    int remove(const std::string& name) { return simple(DmCommand::dev_remove, name); }
    DmInfo status(const std::string& name) {
        DmRequest r;
        r.cmd = DmCommand::dev_status;
        r.name = name;
        return ioctl(r).info;
    }
    std::string path(const std::string& rel) const { return (dir / rel).string(); }
    // FUSE sends RELEASE asynchronously after close(): wait for the open count to drop.
    bool wait_open_count(const std::string& name, std::uint32_t want) {
        for (int i = 0; i < 200; ++i) {
            if (status(name).open_count == want) return true;
            std::this_thread::sleep_for(10ms);
        }
        return false;
    }
};

std::vector<TargetSpec> linear(const std::string& disk, Sector sectors) {
    return {TargetSpec{0, sectors, "linear", "/dev/" + disk + " 0"}};
}

std::vector<char> pattern(std::size_t n, int seed) {
    std::vector<char> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<char>((i * 131 + seed) % 251);
    return v;
}

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
    EXPECT_EQ(::open(path("mapper/ro").c_str(), O_RDWR), -1);
    EXPECT_EQ(errno, EROFS);
    const int fd = ::open(path("mapper/ro").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    char b[512];
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
    EXPECT_EQ(FuseFrontend::mount(*dm, ctx, dir.string(), &error), nullptr);
    EXPECT_NE(error.find("busy"), std::string::npos) << error;
    EXPECT_EQ(FuseFrontend::mount(*dm, ctx, "/etc/hostname", &error), nullptr);
    EXPECT_NE(error.find("not a directory"), std::string::npos) << error;
}

int run(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F(FuseFrontendTest, DdRoundTrip) {
    if (!have_tool("dd") || !have_tool("cmp")) GTEST_SKIP() << "dd or cmp missing";
    add_disk("d0", 8192);
    ASSERT_EQ(create("dd", linear("d0", 8192)), 0);
    const std::string src = (dir.parent_path() / (dir.filename().string() + ".src")).string();
    const std::string dst = src + ".back";
    ASSERT_EQ(run("dd if=/dev/urandom of=" + src + " bs=1M count=4 status=none"), 0);
    EXPECT_EQ(run("dd if=" + src + " of=" + path("mapper/dd") + " bs=64k conv=fsync status=none"), 0);
    EXPECT_EQ(run("dd if=" + path("mapper/dd") + " of=" + dst + " bs=1M count=4 status=none"), 0);
    EXPECT_EQ(run("cmp " + src + " " + dst), 0);
    fs::remove(src);
    fs::remove(dst);
}

TEST_F(FuseFrontendTest, Mkfs4AndFsck) {
    if (!have_tool("mkfs.ext4") || !have_tool("e2fsck")) GTEST_SKIP() << "e2fsprogs missing";
    add_disk("d0", 131072);
    ASSERT_EQ(create("fs", linear("d0", 131072)), 0);
    EXPECT_EQ(run("mkfs.ext4 -q -F " + path("mapper/fs") + " >/dev/null 2>&1"), 0);
    EXPECT_EQ(run("e2fsck -fn " + path("mapper/fs") + " >/dev/null 2>&1"), 0);
}

TEST_F(FuseFrontendTest, FioVerify) {
    if (!have_tool("fio")) GTEST_SKIP() << "fio missing";
    add_disk("d0", 65536);
    ASSERT_EQ(create("fio", linear("d0", 65536)), 0);
    EXPECT_EQ(run("fio --name=v --filename=" + path("mapper/fio") +
                  " --rw=randwrite --bs=4k --size=16M --verify=crc32c --direct=1"
                  " --ioengine=psync --output=/dev/null"),
              0);
}

}  // namespace
}  // namespace dmemu::emu
