// SPDX-License-Identifier: GPL-2.0-only
// FileDisk in its two modes (emu/io/file_disk.hpp): I/O inside submit() on the loop, or handed to
// an IoWorker thread, in submission order, with completions back on the loop; a disk destroyed
// with Bios still handed over waits for them.
#include "emu/io/file_disk.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <filesystem>
#include <thread>
#include <vector>

#include "emu/io/io_worker.hpp"

namespace dmemu::emu {
namespace {

namespace fs = std::filesystem;

std::vector<std::byte> filled(std::size_t sectors, int value) {
    return std::vector<std::byte>(sectors * kSectorSize, std::byte(value));
}

class FileDiskTest : public ::testing::Test {
protected:
    FileDiskTest() {
        path_ = fs::temp_directory_path() / ("dmemu-file-disk-" + std::to_string(::getpid()));
    }
    ~FileDiskTest() override {
        std::error_code ec;
        fs::remove(path_, ec);
    }
    // Submits a Bio on `buf` and records its completion (error, thread) in order.
    void submit(FileDisk& d, BioOp op, Sector sector, std::vector<std::byte>& buf, int tag) {
        Bio bio;
        bio.op = op;
        bio.sector = sector;
        bio.sectors = buf.size() / kSectorSize;
        bio.data = buf.data();
        bio.done = [this, tag](int err) {
            done_.push_back({tag, err, std::this_thread::get_id()});
        };
        d.submit(std::move(bio));
    }
    void run_until(std::size_t completions) {
        while (done_.size() < completions) ctx_.run_one();
    }
    std::vector<std::byte> file_bytes(Sector sector, std::size_t sectors) {
        std::vector<std::byte> b(sectors * kSectorSize);
        FILE* f = std::fopen(path_.c_str(), "rb");
        std::fseek(f, static_cast<long>(sector * kSectorSize), SEEK_SET);
        EXPECT_EQ(std::fread(b.data(), 1, b.size(), f), b.size());
        std::fclose(f);
        return b;
    }

    struct Done {
        int tag;
        int err;
        std::thread::id thread;
    };
    boost::asio::io_context ctx_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
        ctx_.get_executor()};
    fs::path path_;
    std::vector<Done> done_;
};

TEST_F(FileDiskTest, WithoutAWorkerTheFileHoldsAWriteOnceSubmitted) {
    FileDisk d(ctx_, path_.string(), 64);
    auto w = filled(8, 0x5a);
    submit(d, BioOp::write, 8, w, 1);
    EXPECT_TRUE(done_.empty()) << "never completed inside submit()";
    EXPECT_EQ(file_bytes(8, 8), w);  // what FaultyDisk's power cuts rely on
    run_until(1);
    EXPECT_EQ(done_[0].err, 0);
}

// A large write goes to the worker; the small Bios after it queue behind it rather than run on
// the loop at once, so they still reach the file in submission order.
TEST_F(FileDiskTest, AWorkerKeepsSubmissionOrderAndCompletesOnTheLoop) {
    IoWorker worker;
    FileDisk d(ctx_, path_.string(), 1024, &worker);
    auto a = filled(256, 0x11);  // 128 KiB: handed over
    auto b = filled(8, 0x22);    // 4 KiB, over a's first sectors
    std::vector<std::byte> r(8 * kSectorSize);
    std::vector<std::byte> none;
    submit(d, BioOp::write, 0, a, 1);
    submit(d, BioOp::write, 0, b, 2);
    submit(d, BioOp::read, 0, r, 3);
    submit(d, BioOp::flush, 0, none, 4);
    EXPECT_TRUE(done_.empty()) << "never completed inside submit()";
    run_until(4);
    for (std::size_t i = 0; i < done_.size(); ++i) {
        EXPECT_EQ(done_[i].tag, static_cast<int>(i) + 1) << "completions in submission order";
        EXPECT_EQ(done_[i].err, 0);
        EXPECT_EQ(done_[i].thread, std::this_thread::get_id()) << "completed on the loop";
    }
    EXPECT_EQ(r, b) << "the read came after both writes";
    EXPECT_EQ(file_bytes(0, 8), b);
    EXPECT_EQ(file_bytes(8, 248), std::vector<std::byte>(a.begin() + 8 * kSectorSize, a.end()));
}

TEST_F(FileDiskTest, ASmallBioWithNothingHandedOverStaysOnTheLoop) {
    IoWorker worker;
    FileDisk d(ctx_, path_.string(), 64, &worker);
    auto w = filled(8, 0x33);
    submit(d, BioOp::write, 0, w, 1);
    EXPECT_EQ(file_bytes(0, 8), w) << "written inside submit(), as without a worker";
    run_until(1);
    EXPECT_EQ(done_[0].err, 0);
}

TEST_F(FileDiskTest, PastTheEndFailsWithoutReachingTheWorker) {
    IoWorker worker;
    FileDisk d(ctx_, path_.string(), 64, &worker);
    auto w = filled(256, 1);
    submit(d, BioOp::write, 60, w, 1);
    run_until(1);
    EXPECT_EQ(done_[0].err, -EIO);
}

TEST_F(FileDiskTest, DestroyingTheDiskWaitsForWhatItHandedOver) {
    IoWorker worker;
    std::vector<std::vector<std::byte>> bufs;
    for (int i = 0; i < 32; ++i) bufs.push_back(filled(256, i + 1));  // 128 KiB: handed over
    {
        FileDisk d(ctx_, path_.string(), 256, &worker);
        for (int i = 0; i < 32; ++i) submit(d, BioOp::write, 0, bufs[i], i);
    }  // the file is closed only once the worker is done with it
    EXPECT_EQ(file_bytes(0, 256), bufs.back()) << "every handed write landed, the last one last";
    run_until(32);  // completions still reach the loop; the disk is gone, its submitters are not
    EXPECT_EQ(done_.size(), 32u);
}

}  // namespace
}  // namespace dmemu::emu
