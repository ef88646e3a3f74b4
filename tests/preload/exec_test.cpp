// SPDX-License-Identifier: GPL-2.0-only
// `dmemu exec DIR [--] CMD [ARGS...]` (tools/dmemu/exec.cpp): the environment it gives CMD, the
// library it finds beside the build's dmemu, and its refusals with a shell's exit codes.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "tests/preload/preload_fixture.hpp"

namespace dmemu::preload_test {
namespace {

namespace fs = std::filesystem;

class ExecTest : public PreloadTest {
protected:
    RunResult dmemu(const std::vector<std::string>& args, const EnvChanges& env = {},
                    const std::string& cwd = {}) {
        std::vector<std::string> argv = {DMEMU_BIN_DEFAULT};
        argv.insert(argv.end(), args.begin(), args.end());
        EnvChanges all = {{"DMEMU_PRELOAD", std::nullopt}, {"LC_ALL", "C"}};
        all.insert(all.end(), env.begin(), env.end());
        return run(argv, all, cwd);
    }
};

TEST_F(ExecTest, RunsTheCommandInDirsNamespace) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    start_server();
    const auto r =
        dmemu({"exec", dir(), "--", "stat", "-c", "%F %t:%T", "/dev/mapper/control", "/dev/dm-0"});
    EXPECT_EQ(r.out, "character special file a:ec\nblock special file fd:0\n") << r.err;
    EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ExecTest, CommandOptionsAreNotDmemus) {
    DMEMU_SKIP_IF_SANITIZED("stat");
    start_server();
    const auto r = dmemu({"exec", dir(), "stat", "--format", "%F", "/dev/ram0"});
    EXPECT_EQ(r.out, "block special file\n") << r.err;
    const auto help = dmemu({"exec", dir(), "stat", "--help"});
    EXPECT_EQ(help.out.rfind("Usage: stat ", 0), 0u) << help.out;
}

TEST_F(ExecTest, SetsTheEnvironmentKeepsAnEarlierPreloadDropsDmDevDir) {
    DMEMU_SKIP_IF_SANITIZED("sh");
    start_server();
    const auto r = dmemu({"exec", dir(), "--", "sh", "-c",
                          "echo \"$DMEMU_DIR|$DM_DISABLE_UDEV|${DM_DEV_DIR-unset}|$LD_PRELOAD\""},
                         {{"LD_PRELOAD", "libm.so.6"}, {"DM_DEV_DIR", "/elsewhere"}});
    EXPECT_EQ(r.out,
              dir() + "|1|unset|" + fs::canonical(DMEMU_PRELOAD_LIB).string() + ":libm.so.6\n")
        << r.err;
}

TEST_F(ExecTest, RelativeDirBecomesAbsolute) {
    DMEMU_SKIP_IF_SANITIZED("sh");
    start_server();
    const auto r = dmemu({"exec", dir_.filename().string() + "/", "sh", "-c", "echo $DMEMU_DIR"},
                         {}, dir_.parent_path().string());
    EXPECT_EQ(r.out, dir() + "\n") << r.err;
}

TEST_F(ExecTest, DmemuPreloadOverridesTheLibrary) {
    DMEMU_SKIP_IF_SANITIZED("sh");
    start_server();
    const fs::path copy = dir_ / "copy.so";
    fs::copy_file(DMEMU_PRELOAD_LIB, copy);
    const auto r = dmemu({"exec", dir(), "sh", "-c", "echo $LD_PRELOAD"},
                         {{"DMEMU_PRELOAD", copy.string()}, {"LD_PRELOAD", std::nullopt}});
    EXPECT_EQ(r.out, copy.string() + "\n") << r.err;
}

TEST_F(ExecTest, RefusesWithoutADaemon) {
    const auto r = dmemu({"exec", dir(), "true"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmemu exec: no daemon serving " + dir() + ": start one with 'dmemu start " +
                         dir() + "'\n");
}

TEST_F(ExecTest, RefusesAStaleSocket) {
    leave_stale_socket();
    const auto r = dmemu({"exec", dir(), "true"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmemu exec: no daemon serving " + dir() + ": start one with 'dmemu start " +
                         dir() + "'\n");
}

TEST_F(ExecTest, MissingCommandIs127) {
    start_server();
    const auto r = dmemu({"exec", dir(), "--", "dmemu-no-such-command"});
    EXPECT_EQ(r.exit_code, 127);
    EXPECT_EQ(r.err, "dmemu exec: dmemu-no-such-command: No such file or directory\n");
}

TEST_F(ExecTest, NotExecutableIs126) {
    start_server();
    const fs::path script = dir_ / "script";
    std::ofstream(script) << "#!/bin/sh\n";
    ::chmod(script.c_str(), 0644);
    const auto r = dmemu({"exec", dir(), script.string()});
    EXPECT_EQ(r.exit_code, 126);
    EXPECT_EQ(r.err, "dmemu exec: " + script.string() + ": Permission denied\n");
}

TEST_F(ExecTest, NoCommandIsAUsageError) {
    start_server();
    const auto r = dmemu({"exec", dir()});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err, "dmemu exec: no command given: dmemu exec DIR [--] CMD [ARGS...]\n");
    const auto none = dmemu({"exec"});
    EXPECT_EQ(none.exit_code, 2);
    EXPECT_EQ(none.err, "dmemu exec: no DIR given: dmemu exec DIR [--] CMD [ARGS...]\n");
}

TEST_F(ExecTest, HelpSaysWhatItDoes) {
    const auto r = dmemu({"exec", "--help"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out.rfind("Usage: dmemu exec DIR [--] CMD [ARGS...]\n", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("DMEMU_DIR=DIR, DM_DISABLE_UDEV=1, no DM_DEV_DIR"), std::string::npos)
        << r.out;
    const auto listed = dmemu({"--help"});
    EXPECT_NE(listed.out.find("run CMD seeing the devices of the daemon serving DIR"),
              std::string::npos)
        << listed.out;
}

}  // namespace
}  // namespace dmemu::preload_test
