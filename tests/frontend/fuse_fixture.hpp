// SPDX-License-Identifier: GPL-2.0-only
// What every FUSE test shares: the one decision to skip (or, in CI, fail) when FUSE is unusable
// here, the unprivileged-run check, running client programs, and an emulator on its own loop
// thread mounted in a temporary directory.
//
// Environment:
//   CI=true                      a test that would skip for want of FUSE or a client program
//                                fails instead: CI must run them
//   DMEMU_EXPECT_UNPRIVILEGED=1  every FUSE test first checks that it runs without root (the
//                                unprivileged CI pass of tools/test.sh)
//   TMPDIR                       where mounts, daemon directories and scratch files go
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/frontend/fuse_frontend.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"

namespace dmemu::frontend_test {

enum class Verdict { run, skip, fail };

// Whether FUSE tests can run here (probed once per process); *why says why not.
Verdict fuse_verdict(std::string* why);
// Whether a client program is on PATH (a missing one is a skip, or a failure in CI).
Verdict tool_verdict(const std::string& name, std::string* why);
bool in_ci();
bool expect_unprivileged();

// Skips the calling test, or fails it in CI, when FUSE (and the named programs) are unusable.
#define DMEMU_REQUIRE(verdict_expr)                                                        \
    do {                                                                                   \
        std::string dmemu_why_;                                                            \
        const auto dmemu_v_ = (verdict_expr);                                              \
        if (dmemu_v_ == ::dmemu::frontend_test::Verdict::fail) GTEST_FAIL() << dmemu_why_; \
        if (dmemu_v_ == ::dmemu::frontend_test::Verdict::skip) GTEST_SKIP() << dmemu_why_; \
    } while (0)
#define DMEMU_REQUIRE_FUSE() DMEMU_REQUIRE(::dmemu::frontend_test::fuse_verdict(&dmemu_why_))
#define DMEMU_REQUIRE_TOOL(name) \
    DMEMU_REQUIRE(::dmemu::frontend_test::tool_verdict(name, &dmemu_why_))

// $TMPDIR (or /tmp).
std::filesystem::path temp_root();
// A new directory under temp_root() named PREFIX-XXXXXX.
std::filesystem::path make_temp_dir(const std::string& prefix);
// Runs a shell command; its exit status (-1 when killed by a signal).
int run(const std::string& cmd);
// Single-quoted for the shell.
std::string shell_quoted(const std::string& s);
// Deterministic bytes: the same (n, seed) gives the same bytes.
std::vector<char> pattern(std::size_t n, int seed);

// An emulator on its own loop thread, its devices mounted at dir.
class FuseFrontendTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    emu::DmReply ioctl(emu::DmRequest req);
    void add_disk(const std::string& name, emu::Sector sectors);
    // dmsetup create: DEV_CREATE, TABLE_LOAD, resume. An empty table creates without one.
    int create(const std::string& name, std::vector<emu::TargetSpec> table, bool read_only = false);
    int simple(emu::DmCommand cmd, const std::string& name, bool suspend = false);
    int resume(const std::string& name) { return simple(emu::DmCommand::dev_suspend, name); }
    int suspend(const std::string& name) { return simple(emu::DmCommand::dev_suspend, name, true); }
    int remove(const std::string& name) { return simple(emu::DmCommand::dev_remove, name); }
    emu::DmInfo status(const std::string& name);
    // Runs fn on the loop thread and waits for it.
    void on_loop(const std::function<void()>& fn);
    std::string path(const std::string& rel) const { return (dir / rel).string(); }
    // FUSE sends RELEASE asynchronously after close(): waits for the open count to drop.
    bool wait_open_count(const std::string& name, std::uint32_t want);

    boost::asio::io_context ctx{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{
        ctx.get_executor()};
    emu::RealClock clock{ctx};
    emu::Rng rng{42};
    emu::KernelLog klog;
    emu::TargetRegistry registry;
    std::unique_ptr<emu::DeviceMapper> dm;
    std::thread loop_thread;
    std::filesystem::path dir;
    std::unique_ptr<emu::FuseFrontend> fe;
    emu::FuseOptions fuse_options;            // what SetUp mounts with
    emu::DeviceMapper::Options dm_options{};  // what SetUp builds the DeviceMapper with
};

// One linear target over all of a disk (or mapped device, "/dev/mapper/NAME").
std::vector<emu::TargetSpec> linear(const std::string& dev, emu::Sector sectors);

}  // namespace dmemu::frontend_test
