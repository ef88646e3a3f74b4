// SPDX-License-Identifier: GPL-2.0-only
#include "tests/realtools/real_tools_fixture.hpp"

#include <cstdlib>
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

Verdict program_verdict(const std::string& path, std::string* why) {
    if (::access(path.c_str(), X_OK) == 0) return Verdict::run;
    *why = path + " is not installed (tools/setup.sh installs it)";
    return frontend_test::in_ci() ? Verdict::fail : Verdict::skip;
}

}  // namespace

std::string dmemu_bin() { return from_env("DMEMU_BIN", DMEMU_BIN_DEFAULT); }
std::string dmemu_setup_bin() { return from_env("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT); }
std::string real_dmsetup() { return from_env("DMEMU_DMSETUP", "/usr/sbin/dmsetup"); }

void RealToolsTest::SetUp() {
    DMEMU_REQUIRE_FUSE();
    DMEMU_REQUIRE(program_verdict(real_dmsetup(), &dmemu_why_));
    DMEMU_REQUIRE(program_verdict("/bin/busybox", &dmemu_why_));
    dir_ = frontend_test::make_temp_dir("dmemu-real");
    scratch_ = frontend_test::make_temp_dir("dmemu-real-scratch");
    ASSERT_FALSE(dir_.empty());
    ProgramResult r = run_program(dmemu_bin(), {"start", dir_.string(), "--dm-major", "254"});
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

ProgramResult RealToolsTest::exec_shell(const std::string& script, const std::vector<std::string>& env,
                                        bool busybox, const std::string& stdin_text) {
    const std::string sbin = fs::path(real_dmsetup()).parent_path().string();
    std::string path_var = sbin + ":/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
    if (busybox) path_var = busybox_bin().string() + ":" + path_var;
    std::vector<std::string> args{"exec", dir_.string(), "--", "env", "LC_ALL=C", "PATH=" + path_var,
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
