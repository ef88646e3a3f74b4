// SPDX-License-Identifier: GPL-2.0-only
#include "tests/frontend/fuse_fixture.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>

#include "emu/targets/builtin.hpp"

namespace dmemu::frontend_test {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci && std::string(ci) == "true";
}

bool expect_unprivileged() {
    const char* v = std::getenv("DMEMU_EXPECT_UNPRIVILEGED");
    return v && std::string(v) == "1";
}

Verdict fuse_verdict(std::string* why) {
    static std::once_flag once;
    static bool usable = false;
    static std::string reason;
    std::call_once(once, [] { usable = emu::FuseFrontend::fuse_usable(&reason); });
    if (expect_unprivileged() && (::getuid() == 0 || ::geteuid() == 0)) {
        *why = "DMEMU_EXPECT_UNPRIVILEGED=1 but this test runs as root";
        return Verdict::fail;
    }
    if (usable) return Verdict::run;
    *why = reason;
    if (expect_unprivileged() || in_ci()) {
        *why += " (a failure: CI must run the FUSE tests)";
        return Verdict::fail;
    }
    return Verdict::skip;
}

Verdict tool_verdict(const std::string& name, std::string* why) {
    if (run("command -v " + shell_quoted(name) + " >/dev/null 2>&1") == 0) return Verdict::run;
    *why = name + " is not installed (tools/setup.sh installs it)";
    return in_ci() ? Verdict::fail : Verdict::skip;
}

fs::path temp_root() {
    const char* t = std::getenv("TMPDIR");
    return t && *t ? fs::path(t) : fs::path("/tmp");
}

fs::path make_temp_dir(const std::string& prefix) {
    std::string tmpl = (temp_root() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) return {};
    return tmpl;
}

int run(const std::string& cmd) {
    const int st = std::system(cmd.c_str());
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string shell_quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::vector<char> pattern(std::size_t n, int seed) {
    std::vector<char> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<char>((i * 131 + seed) % 251);
    return v;
}

std::vector<emu::TargetSpec> linear(const std::string& dev, emu::Sector sectors) {
    return {emu::TargetSpec{0, sectors, "linear", "/dev/" + dev + " 0"}};
}

void FuseFrontendTest::SetUp() {
    DMEMU_REQUIRE_FUSE();
    klog.set_echo(false);
    emu::register_builtin_targets(registry);
    dm = std::make_unique<emu::DeviceMapper>(ctx, clock, rng, klog, registry, dm_options);
    loop_thread = std::thread([this] { ctx.run(); });
    dir = make_temp_dir("dmemu-fuse-test");
    ASSERT_FALSE(dir.empty()) << "mkdtemp in " << temp_root() << ": " << std::strerror(errno);
    std::string error;
    fe = emu::FuseFrontend::mount(*dm, ctx, dir.string(), &error, fuse_options);
    ASSERT_NE(fe, nullptr) << error;
}

void FuseFrontendTest::TearDown() {
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
    if (!dir.empty()) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
}

emu::DmReply FuseFrontendTest::ioctl(emu::DmRequest req) {
    std::promise<emu::DmReply> p;
    asio::co_spawn(ctx, dm->ioctl(std::move(req)), [&](std::exception_ptr e, emu::DmReply r) {
        if (e) r.error = -EFAULT;
        p.set_value(std::move(r));
    });
    return p.get_future().get();
}

void FuseFrontendTest::add_disk(const std::string& name, emu::Sector sectors) {
    emu::DmRequest r;
    r.cmd = emu::DmCommand::disk_add;
    r.name = name;
    r.size_sectors = sectors;
    ASSERT_EQ(ioctl(r).error, 0);
}

int FuseFrontendTest::create(const std::string& name, std::vector<emu::TargetSpec> table,
                             bool read_only) {
    emu::DmRequest r;
    r.cmd = emu::DmCommand::dev_create;
    r.name = name;
    if (int e = ioctl(r).error) return e;
    if (table.empty()) return 0;
    r.cmd = emu::DmCommand::table_load;
    r.targets = std::move(table);
    r.read_only = read_only;
    if (int e = ioctl(r).error) return e;
    return resume(name);
}

int FuseFrontendTest::simple(emu::DmCommand cmd, const std::string& name, bool suspend) {
    emu::DmRequest r;
    r.cmd = cmd;
    r.name = name;
    r.suspend = suspend;
    return ioctl(r).error;
}

emu::DmInfo FuseFrontendTest::status(const std::string& name) {
    emu::DmRequest r;
    r.cmd = emu::DmCommand::dev_status;
    r.name = name;
    return ioctl(r).info;
}

void FuseFrontendTest::on_loop(const std::function<void()>& fn) {
    std::promise<void> done;
    asio::post(ctx, [&] {
        fn();
        done.set_value();
    });
    done.get_future().get();
}

bool FuseFrontendTest::wait_open_count(const std::string& name, std::uint32_t want) {
    for (int i = 0; i < 200; ++i) {
        if (status(name).open_count == want) return true;
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

}  // namespace dmemu::frontend_test
