// SPDX-License-Identifier: GPL-2.0-only
// BlockDevice::file_extent through the stack: a range answers with its place in a backing file
// only when a Bio for it would do nothing but that file's pread/pwrite (the FUSE front end then
// splices instead of copying); everything that acts on I/O (a hold, a fault, a split, a target
// other than a plain remap, RAM, the device's end, a read-only table for a write) says nullopt.
#include <unistd.h>

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <filesystem>
#include <optional>

#include "core_fixture.hpp"
#include "emu/faults/faulty_disk.hpp"

namespace dmemu::emu::testing {
namespace {

namespace fs = std::filesystem;

class FileExtentTest : public CoreFixture {
protected:
    FileExtentTest() {
        dir_ = fs::temp_directory_path() / ("dmemu-extent-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        add_file("fd0", 4096, DevT{7, 0});
        add_file("fd1", 4096, DevT{7, 1});
        add_ram("ram0", 4096, DevT{1, 0});
    }
    ~FileExtentTest() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void add_file(const std::string& name, Sector sectors, DevT devt) {
        DmRequest r;
        r.cmd = DmCommand::disk_add;
        r.name = name;
        r.file = (dir_ / (name + ".img")).string();
        r.size_sectors = sectors;
        r.devt = devt;
        ASSERT_EQ(ioctl(r).error, 0);
    }
    std::optional<FileExtent> extent(const std::string& dev, Sector s, std::uint64_t n,
                                     BioOp op = BioOp::read) {
        return dm_.find_mapped(dev)->file_extent(s, n, op);
    }
    std::optional<FileExtent> disk_extent(const std::string& disk, Sector s, std::uint64_t n) {
        return dm_.find_disk(disk)->file_extent(s, n, BioOp::read);
    }
    // The bytes a Bio reads from `dev` and the bytes at the extent's place in its file.
    void expect_same_bytes(const std::string& dev, Sector s, std::uint64_t n) {
        auto ext = extent(dev, s, n);
        ASSERT_TRUE(ext.has_value());
        std::vector<std::byte> via_bio(n * kSectorSize), via_file(n * kSectorSize);
        ASSERT_EQ(io(*dm_.find_mapped(dev), BioOp::read, s, via_bio), 0);
        ASSERT_EQ(::pread(ext->fd, via_file.data(), via_file.size(), off_t(ext->offset)),
                  ssize_t(via_file.size()));
        EXPECT_EQ(via_bio, via_file);
    }
    void fill(const std::string& disk, unsigned seed) {
        std::vector<std::byte> b(4096 * kSectorSize);
        for (std::size_t i = 0; i < b.size(); ++i)
            b[i] = std::byte((i * 13 + seed + i / 512) & 0xff);
        ASSERT_EQ(io(*dm_.find_disk(disk), BioOp::write, 0, b), 0);
    }

    fs::path dir_;
};

TEST_F(FileExtentTest, AFileDiskIsItsFile) {
    auto e = disk_extent("fd0", 10, 8);
    ASSERT_TRUE(e.has_value());
    EXPECT_GE(e->fd, 0);
    EXPECT_EQ(e->offset, 10u * 512);
    EXPECT_TRUE(disk_extent("fd0", 4088, 8).has_value());
    EXPECT_FALSE(disk_extent("fd0", 4089, 8).has_value()) << "past the end a Bio fails";
    EXPECT_FALSE(disk_extent("ram0", 0, 8).has_value()) << "RAM has no file";
    EXPECT_FALSE(dm_.find_disk("fd0")->file_extent(0, 0, BioOp::flush).has_value());
    EXPECT_FALSE(dm_.find_disk("fd0")->file_extent(0, 8, BioOp::discard).has_value());
}

TEST_F(FileExtentTest, LinearAddsItsOffsetAndStacks) {
    fill("fd0", 1);
    activate("lin", "0 1000 linear /dev/fd0 100");
    auto e = extent("lin", 10, 8);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->offset, 110u * 512);
    expect_same_bytes("lin", 10, 8);
    activate("top", "0 500 linear /dev/mapper/lin 200");
    e = extent("top", 5, 16);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->offset, (5u + 200 + 100) * 512);
    expect_same_bytes("top", 5, 16);
    EXPECT_FALSE(extent("top", 495, 8).has_value()) << "past the end";
}

TEST_F(FileExtentTest, OnlyARangeInsideOneTargetThatOnlyRemaps) {
    fill("fd0", 2);
    fill("fd1", 3);
    activate("two", "0 16 linear /dev/fd0 0\n16 16 linear /dev/fd1 100\n32 8 zero");
    EXPECT_TRUE(extent("two", 0, 16).has_value());
    EXPECT_FALSE(extent("two", 8, 16).has_value()) << "crosses into the second target";
    auto e = extent("two", 20, 4);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->offset, 104u * 512);
    expect_same_bytes("two", 20, 4);
    EXPECT_FALSE(extent("two", 32, 8).has_value()) << "zero has no file";
    activate("ram", "0 100 linear /dev/ram0 0");
    EXPECT_FALSE(extent("ram", 0, 8).has_value());
    activate("str", "0 2048 striped 2 8 /dev/fd0 0 /dev/fd1 0");
    EXPECT_FALSE(extent("str", 0, 8).has_value()) << "striped is not a plain remap";
}

TEST_F(FileExtentTest, NoExtentWhileSuspendedOrWithoutALiveTable) {
    activate("lin", "0 1000 linear /dev/fd0 0");
    ASSERT_EQ(suspend("lin").error, 0);
    EXPECT_FALSE(extent("lin", 0, 8).has_value()) << "I/O is held while suspended";
    ASSERT_EQ(resume("lin").error, 0);
    EXPECT_TRUE(extent("lin", 0, 8).has_value());
    ASSERT_EQ(create("empty").error, 0);
    EXPECT_FALSE(extent("empty", 0, 8).has_value());
}

TEST_F(FileExtentTest, ReadOnlyTableGivesReadsOnly) {
    ASSERT_EQ(create("ro").error, 0);
    ASSERT_EQ(load("ro", "0 1000 linear /dev/fd0 0", /*read_only=*/true).error, 0);
    ASSERT_EQ(resume("ro").error, 0);
    EXPECT_TRUE(extent("ro", 0, 8, BioOp::read).has_value());
    EXPECT_FALSE(extent("ro", 0, 8, BioOp::write).has_value()) << "a write fails with EROFS";
}

TEST_F(FileExtentTest, AFaultOnTheDiskKeepsItsIoOnTheBioPath) {
    activate("lin", "0 1000 linear /dev/fd0 0");
    ASSERT_EQ(fault(DmCommand::fault_add, "fd0", "eio sectors=500-509 op=read").error, 0);
    EXPECT_FALSE(extent("lin", 0, 8).has_value())
        << "faults see every bio, even outside their range";
    EXPECT_FALSE(disk_extent("fd0", 0, 8).has_value());
    ASSERT_EQ(fault(DmCommand::fault_clear, "fd0").error, 0);
    EXPECT_TRUE(extent("lin", 0, 8).has_value());
}

// I/O from an extent after the loop step that found it (a read the front end answers from
// another thread) is in flight on every mapped device it passed: a suspend of either waits for
// it, as for a Bio.
TEST_F(FileExtentTest, IoFromAnExtentHoldsASuspendOfEveryDeviceItPassed) {
    activate("lin", "0 1000 linear /dev/fd0 0");
    activate("top", "0 500 linear /dev/mapper/lin 0");
    auto e = extent("top", 0, 8);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->depth, 2u);
    e->io_started();
    EXPECT_EQ(dm_.find_mapped("top")->in_flight(), 1u);
    EXPECT_EQ(dm_.find_mapped("lin")->in_flight(), 1u);
    std::optional<int> top_done, lin_done;
    for (auto [name, done] : {std::pair{"top", &top_done}, std::pair{"lin", &lin_done}}) {
        DmRequest r;
        r.cmd = DmCommand::dev_suspend;
        r.name = name;
        r.suspend = true;
        boost::asio::co_spawn(
            ctx_,
            [this, r, done = done]() -> boost::asio::awaitable<void> {
                *done = (co_await dm_.ioctl(r)).error;
            },
            boost::asio::detached);
    }
    clock_.run_until_idle();
    EXPECT_FALSE(top_done.has_value()) << "suspend of the top device waits for the extent's I/O";
    EXPECT_FALSE(lin_done.has_value()) << "so does the device below it";
    e->io_ended();
    clock_.run_until_idle();
    EXPECT_EQ(top_done, 0);
    EXPECT_EQ(lin_done, 0);
    EXPECT_EQ(dm_.find_mapped("top")->in_flight(), 0u);
}

// An extent records at most FileExtent::kMaxLayers mapped devices; a deeper stack answers
// nullopt at the top, and its reads take the Bio path.
TEST_F(FileExtentTest, AStackDeeperThanTheExtentRecordsTakesBios) {
    activate("l1", "0 1000 linear /dev/fd0 0");
    std::string below = "l1";
    for (std::size_t i = 2; i <= FileExtent::kMaxLayers + 1; ++i) {
        const std::string name = "l" + std::to_string(i);
        activate(name, "0 1000 linear /dev/mapper/" + below + " 0");
        below = name;
    }
    auto deepest = extent("l" + std::to_string(FileExtent::kMaxLayers), 0, 8);
    ASSERT_TRUE(deepest.has_value());
    EXPECT_EQ(deepest->depth, FileExtent::kMaxLayers);
    EXPECT_FALSE(extent(below, 0, 8).has_value());
}

}  // namespace
}  // namespace dmemu::emu::testing
