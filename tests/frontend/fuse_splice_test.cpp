// SPDX-License-Identifier: GPL-2.0-only
// Reads answered by splice from a file disk's backing file (emu/frontend/splice_reply.hpp): the
// bytes are the device's, and whatever must see a read still does (a suspend holds it, a fault
// fails it, a striped or RAM-backed device serves it through a Bio). With FuseOptions::splice
// off every read goes through a buffer.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "tests/frontend/fio_job.hpp"
#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using emu::DmCommand;
using emu::DmRequest;
using emu::TargetSpec;

constexpr emu::Sector kDiskSectors = 8192;  // 4 MiB

// File disks as the daemon has them: their I/O on an IoWorker thread.
class FuseSpliceTest : public FuseFrontendTest {
protected:
    FuseSpliceTest() { dm_options.file_io_worker = true; }
    void SetUp() override {
        FuseFrontendTest::SetUp();
        if (HasFatalFailure() || IsSkipped()) return;
        files_ = make_temp_dir("dmemu-splice-files");
        ASSERT_FALSE(files_.empty());
    }
    void TearDown() override {
        FuseFrontendTest::TearDown();
        std::error_code ec;
        if (!files_.empty()) fs::remove_all(files_, ec);
    }
    std::string backing(const std::string& disk) const {
        return (files_ / (disk + ".img")).string();
    }
    void add_file_disk(const std::string& name) {
        DmRequest r;
        r.cmd = DmCommand::disk_add;
        r.name = name;
        r.file = backing(name);
        r.size_sectors = kDiskSectors;
        ASSERT_EQ(ioctl(r).error, 0);
    }
    void fault(DmCommand cmd, const std::string& disk, const std::string& spec = {}) {
        DmRequest r;
        r.cmd = cmd;
        r.name = disk;
        r.message = spec;
        ASSERT_EQ(ioctl(r).error, 0);
    }
    // Writes `data` at `off` of the file at `rel` under the mount.
    void write_at(const std::string& rel, off_t off, const std::vector<char>& data) {
        const int fd = ::open(path(rel).c_str(), O_WRONLY);
        ASSERT_GE(fd, 0) << rel << ": " << std::strerror(errno);
        ASSERT_EQ(::pwrite(fd, data.data(), data.size(), off), ssize_t(data.size()));
        ::close(fd);
    }
    // pread of `len` bytes at `off` into a page-aligned buffer (so that the kernel's split of a
    // request depends on max_read and max_pages only); the bytes read (fewer at the end), or
    // nothing on error.
    static std::vector<char> read_at(const std::string& file, off_t off, std::size_t len,
                                     int* err = nullptr) {
        const int fd = ::open(file.c_str(), O_RDONLY);
        if (fd < 0) {
            if (err) *err = errno;
            return {};
        }
        void* mem = nullptr;
        if (::posix_memalign(&mem, 4096, len) != 0) std::abort();
        const ssize_t n = ::pread(fd, mem, len, off);
        if (err) *err = n < 0 ? errno : 0;
        ::close(fd);
        std::vector<char> b(static_cast<char*>(mem), static_cast<char*>(mem) + (n < 0 ? 0 : n));
        std::free(mem);
        return b;
    }

    // How many Bios the suspended device `name` holds, once it holds any (2 s at most).
    std::size_t wait_held(const std::string& name) {
        std::size_t held = 0;
        for (int i = 0; i < 200 && held == 0; ++i) {
            std::this_thread::sleep_for(10ms);
            on_loop([&] { held = dm->find_mapped(name)->held(); });
        }
        return held;
    }

    fs::path files_;
};

// Each run with splice threads (the daemon's default) and without: replies of 64 KiB or more
// are then sent from a thread, smaller ones on the loop.
class FuseSpliceThreadsTest : public FuseSpliceTest,
                              public ::testing::WithParamInterface<std::size_t> {
protected:
    FuseSpliceThreadsTest() { fuse_options.splice_threads = GetParam(); }
};

TEST_P(FuseSpliceThreadsTest, ReadsOverAFileDiskAreSplicedAndExact) {
    add_file_disk("f0");
    // Linear at an offset, so that an extent's offset that ignored it would read wrong bytes.
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 128"}}), 0);
    const auto data = pattern(4096 * 512, 11);
    write_at("mapper/lin", 0, data);
    const std::uint64_t before = fe->spliced_reads();
    const std::uint64_t before_threads = fe->thread_splices();
    struct Case {
        off_t off;
        std::size_t len;
    };
    const Case cases[] = {{0, 1 << 20}, {777, 300000}, {3 * 4096 + 5, 10}, {65536, 128 << 10}};
    for (const auto& c : cases) {
        const auto got = read_at(path("mapper/lin"), c.off, c.len);
        const std::vector<char> want(data.begin() + c.off, data.begin() + c.off + c.len);
        EXPECT_EQ(got, want) << "offset " << c.off << " length " << c.len;
        // The same bytes are where the extent said: 128 sectors into the backing file.
        EXPECT_EQ(read_at(backing("f0"), c.off + 128 * 512, c.len), want);
    }
    // At the device's end the read is short, as on a block device.
    const auto tail = read_at(path("mapper/lin"), 4096 * 512 - 100, 4096);
    EXPECT_EQ(tail, std::vector<char>(data.end() - 100, data.end()));
    // Every read is answered by splice: a 1 MiB read fits the pipe whole, or the mount's
    // max_read splits it into requests that do.
    const std::size_t split = fe->max_read();
    const std::uint64_t per_mib = split == 0 ? 1 : (1u << 20) / split;
    EXPECT_EQ(fe->spliced_reads() - before, per_mib + 4);
    // From a splice thread: the 1 MiB, 300000-byte and 128 KiB reads; not the 10 and 100 bytes.
    EXPECT_EQ(fe->thread_splices() - before_threads, GetParam() == 0 ? 0 : per_mib + 2);
    if (split != 0) {
        EXPECT_LE(split, fe->splice_max_bytes());
    }
}

INSTANTIATE_TEST_SUITE_P(Threads, FuseSpliceThreadsTest, ::testing::Values(0u, 2u),
                         [](const auto& info) {
                             return info.param == 0 ? "OnTheLoop" : "FromThreads";
                         });

// Table swaps between two files while 1 MiB reads run: every read request is answered from the
// table it found (all of one file's bytes or all of the other's) and nothing fails. A swap's
// suspend waits for the replies the splice threads are still sending: once it returns, the
// file it swapped away from is scribbled over and restored, which a reply still in flight from
// that file would show.
TEST_F(FuseSpliceTest, TableSwapsDuringReadsFromSpliceThreads) {
    add_file_disk("f0");
    add_file_disk("f1");
    ASSERT_EQ(create("lin", {TargetSpec{0, kDiskSectors, "linear", "/dev/f0 0"}}), 0);
    constexpr std::size_t kSpan = 3u << 20;  // what the reads cover
    const std::vector<char> data[2] = {pattern(kSpan, 21), pattern(kSpan, 22)};
    const auto scribble = pattern(kSpan, 23);
    const int files[2] = {::open(backing("f0").c_str(), O_WRONLY),
                          ::open(backing("f1").c_str(), O_WRONLY)};
    ASSERT_GE(files[0], 0);
    ASSERT_GE(files[1], 0);
    const auto put = [&](int i, const std::vector<char>& bytes) {
        ASSERT_EQ(::pwrite(files[i], bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
    };
    put(0, data[0]);
    put(1, data[1]);
    const std::size_t piece = fe->max_read() == 0 ? (1u << 20) : fe->max_read();
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0}, wrong{0}, failed{0};
    std::thread reader([&] {
        while (!stop) {
            const off_t off = off_t(reads % 3) << 20;
            int err = 0;
            const auto got = read_at(path("mapper/lin"), off, 1 << 20, &err);
            if (err != 0 || got.size() != (1u << 20)) {
                ++failed;
                continue;
            }
            for (std::size_t p = 0; p < got.size(); p += piece) {
                const auto from = [&](const std::vector<char>& src) {
                    return std::equal(got.begin() + p, got.begin() + p + piece,
                                      src.begin() + off + p);
                };
                if (!from(data[0]) && !from(data[1])) ++wrong;
            }
            ++reads;
        }
    });
    const std::uint64_t before = fe->thread_splices();
    // At least 40 swaps and 200 reads (a read takes longer than a swap), 20 s at most.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    for (int i = 1; (i <= 40 || reads < 200) && std::chrono::steady_clock::now() < deadline; ++i) {
        const int live = i % 2;
        DmRequest load;
        load.cmd = DmCommand::table_load;
        load.name = "lin";
        load.targets = {TargetSpec{0, kDiskSectors, "linear", live ? "/dev/f1 0" : "/dev/f0 0"}};
        ASSERT_EQ(ioctl(load).error, 0);
        ASSERT_EQ(resume("lin"), 0);
        put(1 - live, scribble);
        put(1 - live, data[1 - live]);
    }
    stop = true;
    reader.join();
    ::close(files[0]);
    ::close(files[1]);
    EXPECT_GE(reads, 200);
    EXPECT_EQ(failed, 0);
    EXPECT_EQ(wrong, 0) << "a read request answered with bytes from neither table";
    EXPECT_GT(fe->thread_splices(), before);
    // The last reply reached the reader before its thread posted io_ended to the loop: wait for
    // the count to drain (it must, or suspend would hang).
    std::size_t in_flight = 1;
    for (int i = 0; i < 200 && in_flight != 0; ++i) {
        on_loop([&] { in_flight = dm->find_mapped("lin")->in_flight(); });
        if (in_flight != 0) std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(in_flight, 0u);
}

TEST_F(FuseSpliceTest, StripesRamAndFaultsStayOnTheBioPath) {
    add_file_disk("f0");
    add_file_disk("f1");
    add_disk("r0", 1024);
    ASSERT_EQ(create("str", {TargetSpec{0, 4096, "striped", "2 8 /dev/f0 0 /dev/f1 0"}}), 0);
    ASSERT_EQ(create("ram", linear("r0", 1024)), 0);
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 0"}}), 0);
    const auto data = pattern(256 << 10, 12);
    write_at("mapper/str", 0, data);
    write_at("mapper/ram", 0, data);
    const std::uint64_t before = fe->spliced_reads();
    EXPECT_EQ(read_at(path("mapper/str"), 0, data.size()), data);
    EXPECT_EQ(read_at(path("mapper/ram"), 0, data.size()), data);
    EXPECT_EQ(fe->spliced_reads(), before) << "striped and RAM reads have no single file";

    fault(DmCommand::fault_add, "f0", "eio op=read");
    int err = 0;
    EXPECT_TRUE(read_at(path("mapper/lin"), 0, 8192, &err).empty());
    EXPECT_EQ(err, EIO) << "the fault saw the read";
    EXPECT_EQ(fe->spliced_reads(), before);
    fault(DmCommand::fault_clear, "f0");
    EXPECT_EQ(read_at(path("disks/f0"), 0, 8192).size(), 8192u);
    EXPECT_EQ(fe->spliced_reads(), before + 1) << "without the fault the disk splices again";
}

// Writes under 64 KiB over one file are written to it at once, from the request (fe_write_direct):
// aligned or not, and read back byte for byte; whatever acts on I/O (a fault, a read-only table,
// the end of the device) takes the Bio path, with its errors; larger writes keep the Bio path too.
TEST_F(FuseSpliceTest, SmallWritesOverAFileGoStraightToIt) {
    add_file_disk("f0");
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 8"}}), 0);
    std::uint64_t before = fe->direct_writes();
    const auto block = pattern(4096, 21);
    write_at("mapper/lin", 8192, block);
    const auto odd = pattern(1000, 22);
    write_at("mapper/lin", 8192 + 300, odd);  // both edges inside sectors
    EXPECT_EQ(fe->direct_writes() - before, 2u);
    auto want = block;
    std::copy(odd.begin(), odd.end(), want.begin() + 300);
    EXPECT_EQ(read_at(path("mapper/lin"), 8192, 4096), want);
    // The linear target's offset (8 sectors) is where the bytes are in the file.
    EXPECT_EQ(read_at(backing("f0"), 8192 + 4096, 4096), want);

    before = fe->direct_writes();
    write_at("mapper/lin", 0, pattern(256 << 10, 23));
    EXPECT_EQ(fe->direct_writes(), before) << "a large write takes the Bio path (IoWorker)";

    fault(DmCommand::fault_add, "f0", "eio op=write");
    const int fd = ::open(path("mapper/lin").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::pwrite(fd, block.data(), block.size(), 0), -1);
    EXPECT_EQ(errno, EIO) << "the fault saw the write";
    EXPECT_EQ(fe->direct_writes(), before);
    fault(DmCommand::fault_clear, "f0");
    // Past the end (4096 sectors): -ENOSPC from the Bio path; across it: a short write.
    EXPECT_EQ(::pwrite(fd, block.data(), block.size(), off_t{4096} * 512), -1);
    EXPECT_EQ(errno, ENOSPC);
    EXPECT_EQ(::pwrite(fd, block.data(), block.size(), off_t{4096} * 512 - 1024), 1024);
    EXPECT_EQ(fe->direct_writes(), before + 1) << "the short write went straight to the file";
    ::close(fd);

    ASSERT_EQ(create("ro", {TargetSpec{0, 4096, "linear", "/dev/f0 0"}}, /*read_only=*/true), 0);
    const int ro = ::open(path("mapper/ro").c_str(), O_WRONLY);
    ASSERT_GE(ro, 0);
    EXPECT_EQ(::pwrite(ro, block.data(), block.size(), 0), -1);
    EXPECT_EQ(errno, EPERM);
    ::close(ro);
    EXPECT_EQ(fe->direct_writes(), before + 1);
}

// A suspended device holds a small write over a file as any other: it lands after the resume.
TEST_F(FuseSpliceTest, ASuspendedDeviceHoldsSmallWritesOverAFile) {
    add_file_disk("f0");
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 0"}}), 0);
    ASSERT_EQ(suspend("lin"), 0);
    const auto block = pattern(4096, 24);
    std::atomic<bool> finished{false};
    std::thread writer([&] {
        write_at("mapper/lin", 4096, block);
        finished = true;
    });
    EXPECT_EQ(wait_held("lin"), 1u);
    EXPECT_FALSE(finished);
    EXPECT_NE(read_at(backing("f0"), 4096, 4096), block) << "nothing reached the file yet";
    ASSERT_EQ(resume("lin"), 0);
    writer.join();
    EXPECT_EQ(read_at(backing("f0"), 4096, 4096), block);
}

TEST_F(FuseSpliceTest, ASuspendedDeviceHoldsReadsOverAFile) {
    add_file_disk("f0");
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 0"}}), 0);
    const auto data = pattern(64 << 10, 13);
    write_at("mapper/lin", 0, data);
    ASSERT_EQ(suspend("lin"), 0);
    std::atomic<bool> finished{false};
    std::vector<char> got;
    std::thread reader([&] {
        got = read_at(path("mapper/lin"), 0, data.size());
        finished = true;
    });
    EXPECT_EQ(wait_held("lin"), 1u);
    EXPECT_FALSE(finished);
    ASSERT_EQ(resume("lin"), 0);
    reader.join();
    EXPECT_EQ(got, data);
}

// fio over a linear device on a file disk: writes go through the IoWorker, the verify pass's
// reads are spliced from the file; sequential 1 MiB (reads split at max_read) and random 4 KiB,
// two jobs each, direct. Every block reads back with its crc32c.
TEST_F(FuseSpliceTest, FioVerifiesWritesThroughTheWorkerWithSplicedReads) {
    DMEMU_REQUIRE_TOOL("fio");
    add_file_disk("f0");
    ASSERT_EQ(create("lin", {TargetSpec{0, kDiskSectors - 64, "linear", "/dev/f0 64"}}), 0);
    const std::uint64_t before = fe->spliced_reads();
    for (const auto& [rw, bs] : {std::pair{"write", "1M"}, std::pair{"randwrite", "4k"}}) {
        const std::string report = (files_ / (std::string(rw) + ".json")).string();
        FioProcess fio =
            start_fio({"--name=verify", "--filename=" + path("mapper/lin"),
                       std::string("--rw=") + rw, std::string("--bs=") + bs, "--size=1M",
                       "--offset_increment=1M", "--numjobs=2", "--verify=crc32c",
                       "--verify_fatal=1", "--direct=1", "--ioengine=libaio", "--iodepth=16"},
                      report);
        ASSERT_EQ(wait_fio(fio), 0) << rw;
        expect_clean_verify(fio, 2, 1u << 20);
    }
    EXPECT_GT(fe->spliced_reads(), before) << "the verify reads were spliced";
}

class FuseNoSpliceTest : public FuseSpliceTest {
protected:
    FuseNoSpliceTest() { fuse_options.splice = false; }
};

TEST_F(FuseNoSpliceTest, EveryReadGoesThroughABuffer) {
    add_file_disk("f0");
    ASSERT_EQ(create("lin", {TargetSpec{0, 4096, "linear", "/dev/f0 128"}}), 0);
    const auto data = pattern(1 << 20, 14);
    write_at("mapper/lin", 0, data);
    EXPECT_EQ(read_at(path("mapper/lin"), 0, data.size()), data);
    EXPECT_EQ(read_at(path("mapper/lin"), 1001, 5000),
              std::vector<char>(data.begin() + 1001, data.begin() + 6001));
    EXPECT_EQ(fe->spliced_reads(), 0u);
}

}  // namespace
}  // namespace dmemu::frontend_test
