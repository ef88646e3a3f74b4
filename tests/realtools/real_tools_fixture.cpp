// SPDX-License-Identifier: GPL-2.0-only
#include "tests/realtools/real_tools_fixture.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <system_error>

#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::realtools_test {

namespace fs = std::filesystem;
using cli_test::ProgramResult;
using cli_test::run_program;
using frontend_test::Verdict;

namespace {

std::string from_env(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// The guest's applets come from Debian's busybox, which is dynamically linked; busybox-static
// (the oracle guest's build uses it) replaces /bin/busybox with a binary that ignores LD_PRELOAD
// and would see the host's /dev.
Verdict dynamic_busybox(std::string* why) {
    std::ifstream in("/bin/busybox", std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    if (head.find("ld-linux") != std::string::npos) return Verdict::run;
    *why =
        "/bin/busybox is statically linked (busybox-static?): LD_PRELOAD cannot reach it; "
        "install Debian's busybox (tools/setup.sh)";
    return frontend_test::in_ci() ? Verdict::fail : Verdict::skip;
}

}  // namespace

Verdict program_verdict(const std::string& path, std::string* why) {
    if (::access(path.c_str(), X_OK) == 0) return Verdict::run;
    *why = path + " is not installed (tools/setup.sh installs it)";
    return frontend_test::in_ci() ? Verdict::fail : Verdict::skip;
}

std::string dmemu_bin() { return from_env("DMEMU_BIN", DMEMU_BIN_DEFAULT); }
std::string dmemu_setup_bin() { return from_env("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT); }
std::string dmemu_ulogd_bin() { return from_env("DMEMU_ULOGD_BIN", DMEMU_ULOGD_BIN_DEFAULT); }
std::string real_dmsetup() { return from_env("DMEMU_DMSETUP", "/usr/sbin/dmsetup"); }
std::string oracle_lib() { return from_env("DMEMU_ORACLE_LIB", DMEMU_ORACLE_LIB); }
std::string fixtures_cases_dir() {
    return from_env("DMEMU_FIXTURES_CASES_DIR", DMEMU_FIXTURES_CASES_DIR);
}
std::string ulog_oracle_dir() { return from_env("DMEMU_ULOG_ORACLE_DIR", DMEMU_ULOG_ORACLE_DIR); }

void RealToolsTest::SetUp() {
    DMEMU_REQUIRE_FUSE();
    DMEMU_REQUIRE(program_verdict(real_dmsetup(), &dmemu_why_));
    DMEMU_REQUIRE(program_verdict("/bin/busybox", &dmemu_why_));
    DMEMU_REQUIRE(dynamic_busybox(&dmemu_why_));
#if defined(__SANITIZE_ADDRESS__)
    // The real programs are not instrumented: an instrumented library cannot go into them.
    if (from_env("DMEMU_PRELOAD", "").empty())
        GTEST_SKIP() << "sanitized build: the real programs need an uninstrumented "
                        "libdmemu-preload.so; set DMEMU_PRELOAD to one (tools/test.sh passes the "
                        "normal build's)";
#endif
    dir_ = frontend_test::make_temp_dir("dmemu-real");
    scratch_ = frontend_test::make_temp_dir("dmemu-real-scratch");
    ASSERT_FALSE(dir_.empty());
    std::vector<std::string> start{"start", dir_.string(), "--dm-major", "254"};
    for (const auto& o : start_options()) start.push_back(o);
    ProgramResult r = run_program(dmemu_bin(), start);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    started_ = true;
    for (int i = 0; i < 4; ++i) {
        r = setup({"disk", "add", "ram" + std::to_string(i), "--size", "64M", "--devno",
                   "1:" + std::to_string(i)});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
}

void RealToolsTest::TearDown() {
    if (started_) {
        const ProgramResult r = run_program(dmemu_bin(), {"stop", dir_.string()});
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
    if (!scratch_.empty()) fs::remove_all(scratch_, ec);
}

ProgramResult RealToolsTest::setup(const std::vector<std::string>& args) {
    std::vector<std::string> full{"--dir", dir_.string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_program(dmemu_setup_bin(), full);
}

fs::path RealToolsTest::busybox_bin() {
    const fs::path bin = scratch_ / "busybox-bin";
    if (fs::exists(bin)) return bin;
    fs::create_directories(bin);
    const ProgramResult list = run_program("/bin/busybox", {"--list"});
    std::string name;
    for (char c : list.out) {
        if (c != '\n') {
            name += c;
            continue;
        }
        std::error_code ec;
        if (!name.empty() && name != "busybox") fs::create_symlink("/bin/busybox", bin / name, ec);
        name.clear();
    }
    return bin;
}

ProgramResult RealToolsTest::exec_shell(const std::string& script,
                                        const std::vector<std::string>& env, bool busybox,
                                        const std::string& stdin_text) {
    const std::string sbin = fs::path(real_dmsetup()).parent_path().string();
    std::string path_var = sbin + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    if (busybox) path_var = busybox_bin().string() + ":" + path_var;
    std::vector<std::string> args{"exec",
                                  dir_.string(),
                                  "--",
                                  "env",
                                  "LC_ALL=C",
                                  "PATH=" + path_var,
                                  "DMEMU_SETUP=" + dmemu_setup_bin()};
    args.insert(args.end(), env.begin(), env.end());
    if (busybox) {
        args.insert(args.end(), {"/bin/busybox", "sh", "-c", script});
    } else {
        args.insert(args.end(), {"bash", "-c", script});
    }
    return run_program(dmemu_bin(), args, stdin_text);
}

}  // namespace dmemu::realtools_test
