// SPDX-License-Identifier: GPL-2.0-only
// Real clients on mnt/mapper/NAME: dd, mkfs.ext4 + e2fsck, debugfs writing and reading back
// files, fio with crc32c verification (sequential and random, two jobs, direct and buffered) on
// linear, striped and stacked (linear over linear) devices, and fio across a suspend/resume.
// Sizes are small on purpose: the suite runs in CI on two shared cores.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/frontend/fio_job.hpp"
#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::frontend_test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using emu::Sector;
using emu::TargetSpec;

enum class Shape { linear, striped, stacked };

const char* shape_name(Shape s) {
    switch (s) {
        case Shape::linear:
            return "Linear";
        case Shape::striped:
            return "Striped";
        case Shape::stacked:
            return "Stacked";
    }
    return "?";
}

// gtest names a failing case's parameter with these.
void PrintTo(Shape s, std::ostream* os) { *os << shape_name(s); }

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const fs::path& p, const std::vector<char>& data) {
    std::ofstream out(p, std::ios::binary);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

class FuseClients : public FuseFrontendTest {
protected:
    void SetUp() override {
        FuseFrontendTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        scratch = make_temp_dir("dmemu-fuse-scratch");
        ASSERT_FALSE(scratch.empty());
    }
    void TearDown() override {
        if (!scratch.empty()) fs::remove_all(scratch);
        FuseFrontendTest::TearDown();
    }

    // Mapped device "dev" of `sectors` on fresh RAM disks: linear over one disk; striped over
    // two (64 KiB chunks); or linear over a linear device "lo" that starts 1 MiB into its disk.
    void make_device(Shape shape, Sector sectors) {
        switch (shape) {
            case Shape::linear:
                add_disk("d0", sectors);
                ASSERT_EQ(create("dev", linear("d0", sectors)), 0);
                break;
            case Shape::striped:
                add_disk("d0", sectors / 2);
                add_disk("d1", sectors / 2);
                ASSERT_EQ(
                    create("dev", {TargetSpec{0, sectors, "striped", "2 128 /dev/d0 0 /dev/d1 0"}}),
                    0);
                break;
            case Shape::stacked:
                add_disk("d0", sectors + 2048);
                ASSERT_EQ(create("lo", {TargetSpec{0, sectors, "linear", "/dev/d0 2048"}}), 0);
                ASSERT_EQ(create("dev", linear("mapper/lo", sectors)), 0);
                break;
        }
    }
    std::string dev() const { return path("mapper/dev"); }

    fs::path scratch;
};

TEST_F(FuseClients, DdRoundTrip) {
    DMEMU_REQUIRE_TOOL("dd");
    DMEMU_REQUIRE_TOOL("cmp");
    make_device(Shape::linear, 8192);
    const std::string src = (scratch / "src").string();
    const std::string back = (scratch / "back").string();
    ASSERT_EQ(run("dd if=/dev/urandom of=" + shell_quoted(src) + " bs=1M count=4 status=none"), 0);
    EXPECT_EQ(run("dd if=" + shell_quoted(src) + " of=" + shell_quoted(dev()) +
                  " bs=64k conv=fsync status=none"),
              0);
    EXPECT_EQ(run("dd if=" + shell_quoted(dev()) + " of=" + shell_quoted(back) +
                  " bs=1M count=4 status=none"),
              0);
    EXPECT_EQ(run("cmp " + shell_quoted(src) + " " + shell_quoted(back)), 0);
}

TEST_F(FuseClients, Mkfs4AndFsckClean) {
    DMEMU_REQUIRE_TOOL("mkfs.ext4");
    DMEMU_REQUIRE_TOOL("e2fsck");
    make_device(Shape::striped, 65536);
    EXPECT_EQ(run("mkfs.ext4 -q -F " + shell_quoted(dev()) + " >/dev/null 2>&1"), 0);
    EXPECT_EQ(run("e2fsck -fn " + shell_quoted(dev()) + " >/dev/null 2>&1"), 0);
}

// ---- debugfs ----

class DebugfsOnExt4 : public FuseClients, public ::testing::WithParamInterface<Shape> {};

TEST_P(DebugfsOnExt4, WritesFilesAndDumpsThemBackIdentical) {
    DMEMU_REQUIRE_TOOL("mkfs.ext4");
    DMEMU_REQUIRE_TOOL("debugfs");
    DMEMU_REQUIRE_TOOL("e2fsck");
    make_device(GetParam(), 65536);  // 32 MiB
    ASSERT_EQ(run("mkfs.ext4 -q -F " + shell_quoted(dev()) + " >/dev/null 2>&1"), 0);
    // One byte, an odd size spanning blocks, and 3 MiB (extents over many block groups' worth
    // of 64 KiB stripes).
    const std::vector<std::pair<std::string, std::size_t>> files = {
        {"one", 1}, {"odd", 100'003}, {"big", 3u << 20}};
    std::string cmds = "mkdir data\n";
    for (std::size_t i = 0; i < files.size(); ++i) {
        write_file(scratch / files[i].first, pattern(files[i].second, static_cast<int>(i) + 11));
        cmds += "write " + (scratch / files[i].first).string() + " data/" + files[i].first + "\n";
    }
    std::ofstream(scratch / "cmds") << cmds;
    ASSERT_EQ(run("debugfs -w -f " + shell_quoted((scratch / "cmds").string()) + " " +
                  shell_quoted(dev()) + " >/dev/null 2>&1"),
              0);
    EXPECT_EQ(run("e2fsck -fn " + shell_quoted(dev()) + " >/dev/null 2>&1"), 0);
    for (const auto& [name, size] : files) {
        const fs::path out = scratch / (name + ".back");
        EXPECT_EQ(run("debugfs -R " + shell_quoted("dump data/" + name + " " + out.string()) + " " +
                      shell_quoted(dev()) + " >/dev/null 2>&1"),
                  0);
        const std::string back = slurp(out);
        EXPECT_EQ(back.size(), size) << name;
        EXPECT_TRUE(back == slurp(scratch / name)) << name << " differs after the round trip";
    }
}

INSTANTIATE_TEST_SUITE_P(Shapes, DebugfsOnExt4,
                         ::testing::Values(Shape::linear, Shape::striped, Shape::stacked),
                         [](const auto& info) { return std::string(shape_name(info.param)); });

// ---- fio verify matrix ----

struct FioCase {
    Shape shape;
    bool sequential;
    bool direct;
};

// fio's report of a finished write-then-verify run: `jobs` jobs, each without error, each
// having written `bytes` and read all of them back in its verify pass.
std::string fio_case_name(const FioCase& c) {
    return std::string(shape_name(c.shape)) + (c.sequential ? "_Seq" : "_Rand") +
           (c.direct ? "_Direct" : "_Buffered");
}

void PrintTo(const FioCase& c, std::ostream* os) { *os << fio_case_name(c); }

class FioVerify : public FuseClients, public ::testing::WithParamInterface<FioCase> {};

// Two jobs on disjoint halves; each writes its half once, then reads it all back and checks
// every block's crc32c. fio exits non-zero on a verify error; the byte counts prove that the
// verify pass really read everything it wrote.
TEST_P(FioVerify, TwoJobsWriteThenVerifyEveryBlock) {
    DMEMU_REQUIRE_TOOL("fio");
    const FioCase c = GetParam();
    make_device(c.shape, 32768);  // 16 MiB
    const std::string size = c.sequential ? "4M" : "2M";
    const std::uint64_t size_bytes = c.sequential ? 4u << 20 : 2u << 20;
    std::vector<std::string> args = {
        "--name=verify",
        "--filename=" + dev(),
        std::string("--rw=") + (c.sequential ? "write" : "randwrite"),
        std::string("--bs=") + (c.sequential ? "256k" : "4k"),
        "--size=" + size,
        "--offset_increment=" + size,
        "--numjobs=2",
        "--verify=crc32c",
        "--verify_fatal=1",
        std::string("--direct=") + (c.direct ? "1" : "0"),
    };
    if (c.direct) {
        args.insert(args.end(), {"--ioengine=libaio", "--iodepth=8"});
    } else {
        args.push_back("--ioengine=psync");
    }
    FioProcess fio = start_fio(args, (scratch / "fio.json").string());
    ASSERT_EQ(wait_fio(fio), 0) << slurp(scratch / "fio.json.stderr");
    expect_clean_verify(fio, 2, size_bytes);
}

std::vector<FioCase> all_fio_cases() {
    std::vector<FioCase> cases;
    for (Shape s : {Shape::linear, Shape::striped, Shape::stacked})
        for (bool seq : {true, false})
            for (bool direct : {true, false}) cases.push_back({s, seq, direct});
    return cases;
}

INSTANTIATE_TEST_SUITE_P(Matrix, FioVerify, ::testing::ValuesIn(all_fio_cases()),
                         [](const auto& info) { return fio_case_name(info.param); });

// ---- suspend in the middle of fio ----

// fio (two rate-limited jobs, so it is surely still writing) runs while the device is suspended
// for half a second: its I/O is held, not failed, and resumes; fio then verifies every block.
TEST_F(FuseClients, SuspendResumeDuringFioLosesNothing) {
    DMEMU_REQUIRE_TOOL("fio");
    make_device(Shape::linear, 16384);  // 8 MiB
    FioProcess fio =
        start_fio({"--name=held", "--filename=" + dev(), "--rw=randwrite", "--bs=4k", "--size=2M",
                   "--offset_increment=2M", "--numjobs=2", "--rate=2m", "--verify=crc32c",
                   "--verify_fatal=1", "--direct=1", "--ioengine=psync"},
                  (scratch / "fio.json").string());
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(fio_running(fio)) << "fio ended before the suspend: "
                                  << slurp(scratch / "fio.json.stderr");
    ASSERT_EQ(suspend("dev"), 0);
    std::size_t most_held = 0;
    for (int i = 0; i < 10; ++i) {
        std::this_thread::sleep_for(50ms);
        on_loop([&] { most_held = std::max(most_held, dm->find_mapped("dev")->held()); });
    }
    EXPECT_TRUE(status("dev").suspended);
    EXPECT_TRUE(fio_running(fio)) << "fio finished while the device was suspended";
    EXPECT_GT(most_held, 0u) << "no fio I/O was held during the suspend";
    ASSERT_EQ(resume("dev"), 0);
    ASSERT_EQ(wait_fio(fio), 0) << slurp(scratch / "fio.json.stderr");
    expect_clean_verify(fio, 2, 2u << 20);
}

}  // namespace
}  // namespace dmemu::frontend_test
