// SPDX-License-Identifier: GPL-2.0-only
// The programs end to end: `dmemu start DIR --foreground` as a child, `dmemu-setup --dir DIR`
// for dmsetup commands, raw clients on DIR/control.sock misbehaving, and `dmemu stop`.
#include <nlohmann/json.hpp>

#include "tests/cli/daemon_fixture.hpp"

namespace dmemu::cli_test {
namespace {

TEST_F(DaemonE2E, DmsetupCommandsThroughTheSocket) {
    ASSERT_EQ(cli({"disk", "add", "ram0", "--size", "64M", "--devno", "1:0"}).exit_code, 0);
    auto create = cli({"create", "lin", "--table", "0 65536 linear /dev/ram0 0"});
    ASSERT_EQ(create.exit_code, 0) << create.err;
    EXPECT_EQ(create.out + create.err, "");
    auto info = cli({"info", "lin"});
    EXPECT_EQ(info.out,
              "Name:              lin\nState:             ACTIVE\nRead Ahead:        256\n"
              "Tables present:    LIVE\nOpen count:        0\nEvent number:      0\n"
              "Major, minor:      253, 0\nNumber of targets: 1\n\n");
    EXPECT_EQ(cli({"table", "lin"}).out, "0 65536 linear 1:0 0\n");
    EXPECT_EQ(cli({"status"}).out, "lin: 0 65536 linear \n");
    auto from_stdin = cli({"create", "z"}, "0 100 zero\n");
    EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
    EXPECT_EQ(cli({"ls"}).out, "lin\t(253:0)\nz\t(253:1)\n");
    auto missing = cli({"remove", "nosuch"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err,
              "device-mapper: remove ioctl on nosuch  failed: No such device or address\nCommand "
              "failed.\n");
    EXPECT_EQ(cli({"remove_all"}).exit_code, 0);
    EXPECT_EQ(cli({"ls"}).out, "No devices found\n");
}

TEST_F(DaemonE2E, SocketIsPrivate) {
    struct stat st {};
    ASSERT_EQ(::stat(socket().c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DaemonE2E, MalformedLinesGetErrorsAndTheDaemonServesTheNextClient) {
    const int fd = connect_to(socket());
    ASSERT_GE(fd, 0);
    send_all(fd, "\x01garbage{{\n");
    auto reply = nlohmann::json::parse(read_line(fd));
    EXPECT_EQ(reply["error"], -22);
    EXPECT_NE(reply["detail"].get<std::string>().find("not JSON"), std::string::npos);
    send_all(fd, R"({"cmd":"no_such_ioctl"})"
                 "\n");
    reply = nlohmann::json::parse(read_line(fd));
    EXPECT_EQ(reply["error"], -22);
    EXPECT_NE(reply["detail"].get<std::string>().find("no_such_ioctl"), std::string::npos);
    send_all(fd, "[1,2,3]\n");
    EXPECT_EQ(nlohmann::json::parse(read_line(fd))["error"], -22);
    send_all(fd, R"({"cmd":"list_devices"})"
                 "\n");  // the same connection still works
    EXPECT_EQ(nlohmann::json::parse(read_line(fd))["error"], 0);
    ::close(fd);
    EXPECT_EQ(cli({"ls"}).out, "No devices found\n");
}

TEST_F(DaemonE2E, ClientsVanishingMidRequestDoNotHurtTheDaemon) {
    ASSERT_EQ(cli({"create", "z", "--table", "0 100 zero"}).exit_code, 0);
    int fd = connect_to(socket());
    ASSERT_GE(fd, 0);
    send_all(fd, R"({"cmd":"dev_status","na)");  // half a line, then gone
    ::close(fd);
    fd = connect_to(socket());
    ASSERT_GE(fd, 0);
    send_all(fd, R"({"cmd":"dev_suspend","name":"z","suspend":true})"
                 "\n");
    ::close(fd);  // gone before the reply
    for (int i = 0;
         i < 100 && cli({"info", "-c", "--noheadings", "-o", "attr", "z"}).out != "L-sw\n"; ++i)
        std::this_thread::sleep_for(10ms);
    EXPECT_EQ(cli({"info", "-c", "--noheadings", "-o", "attr", "z"}).out, "L-sw\n");  // it ran
    EXPECT_EQ(cli({"resume", "z"}).exit_code, 0);
    EXPECT_EQ(cli({"ls"}).out, "z\t(253:0)\n");
}

TEST_F(DaemonE2E, SecondDaemonOnTheSameDirectoryIsRefused) {
    auto r = run_program(dmemu_, {"start", dir_, "--foreground"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("is already running in " + dir_), std::string::npos) << r.err;
    EXPECT_EQ(cli({"ls"}).exit_code, 0);  // the first one is untouched
}

TEST_F(DaemonE2E, StopShutsDownCleanly) {
    ASSERT_EQ(cli({"create", "z", "--table", "0 100 zero"}).exit_code, 0);
    auto r = run_program(dmemu_, {"stop", dir_});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(wait_exit(pid_, 5s), 0);
    pid_ = -1;
    EXPECT_FALSE(std::filesystem::exists(socket()));
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/dmemu.pid"));
    EXPECT_EQ(run_program(dmemu_, {"stop", dir_}).exit_code, 1);
}

TEST_F(DaemonE2E, SigtermShutsDownCleanly) {
    ::kill(pid_, SIGTERM);
    EXPECT_EQ(wait_exit(pid_, 5s), 0);
    pid_ = -1;
    EXPECT_FALSE(std::filesystem::exists(socket()));
}

TEST(DaemonCli, ClearErrorWhenNoDaemonRuns) {
    const std::string setup = program("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT);
    if (!std::filesystem::exists(setup)) GTEST_SKIP() << "not built: " << setup;
    const std::string dir = make_temp_dir();
    auto r = run_program(setup, {"--dir", dir, "ls"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "dmemu-setup: cannot connect to " + dir +
                         "/control.sock: No such file or "
                         "directory (is `dmemu start " +
                         dir + "` running?)\n");
    auto help = run_program(setup, {"--dir", dir, "--help"});  // needs no daemon
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_EQ(help.err.rfind("Usage:\n\ndmsetup\n", 0), 0u);
    std::filesystem::remove_all(dir);
}

TEST(DaemonCli, DetachedStartReturnsOnceListeningAndStopWaits) {
    const std::string dmemu = program("DMEMU_BIN", DMEMU_BIN_DEFAULT);
    const std::string setup = program("DMEMU_SETUP_BIN", DMEMU_SETUP_BIN_DEFAULT);
    if (!std::filesystem::exists(dmemu)) GTEST_SKIP() << "not built: " << dmemu;
    const std::string dir = make_temp_dir() + "/nested";  // start creates it
    auto start = run_program(dmemu, {"start", dir});
    ASSERT_EQ(start.exit_code, 0) << start.err;
    EXPECT_EQ(run_program(setup, {"--dir", dir, "version"}).exit_code, 0);
    EXPECT_GT(std::stoi(slurp(dir + "/dmemu.pid")), 0);
    auto again = run_program(dmemu, {"start", dir});
    EXPECT_EQ(again.exit_code, 1);
    auto stop = run_program(dmemu, {"stop", dir});
    EXPECT_EQ(stop.exit_code, 0) << stop.err;
    EXPECT_FALSE(std::filesystem::exists(dir + "/control.sock"));
    EXPECT_NE(slurp(dir + "/dmemu.log").find("dmemu: stopped"), std::string::npos);
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
}

}  // namespace
}  // namespace dmemu::cli_test
