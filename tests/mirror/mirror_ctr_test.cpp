// SPDX-License-Identifier: GPL-2.0-only
// mirror_ctr and the core/disk log constructors: every case of the oracle's t34_mirror_errors,
// with the kernel lines byte for byte.
#include "tests/mirror/mirror_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

class MirrorCtrTest : public MirrorFixture {
protected:
    // `dmsetup create x --table '0 65536 mirror <params>'`: the create's errno and kernel lines.
    std::pair<int, std::vector<std::string>> create_mirror(const std::string& params) {
        const auto seq = klog_.last_seq();
        int err = create("x").error;
        if (err == 0) err = load("x", "0 65536 mirror " + params).error;
        if (err == 0) err = resume("x").error;
        auto lines = kernel_lines_since(seq);
        remove("x");
        return {err, lines};
    }
    void expect_log_error(const std::string& params, const std::string& log_line) {
        auto [err, lines] = create_mirror(params);
        EXPECT_EQ(err, -EINVAL) << params;
        EXPECT_EQ(
            lines,
            (std::vector<std::string>{
                "device-mapper: dirty region log: " + log_line,
                "device-mapper: table: 254:0: mirror: Error creating mirror dirty log (-EINVAL)",
                "device-mapper: ioctl: error adding target to table"}))
            << params;
    }
    void expect_mirror_error(const std::string& params, const std::string& why,
                             const char* errno_name = "-EINVAL", int err_expected = -EINVAL) {
        auto [err, lines] = create_mirror(params);
        EXPECT_EQ(err, err_expected) << params;
        EXPECT_EQ(lines,
                  (std::vector<std::string>{
                      "device-mapper: table: 254:0: mirror: " + why + " (" + errno_name + ")",
                      "device-mapper: ioctl: error adding target to table"}))
            << params;
    }
    void expect_accepted(const std::string& params, const std::string& table) {
        auto seq = klog_.last_seq();
        ASSERT_EQ(create("ok").error, 0);
        ASSERT_EQ(load("ok", "0 65536 mirror " + params).error, 0) << params;
        ASSERT_EQ(resume("ok").error, 0);
        EXPECT_EQ(table_line("ok"), "0 65536 mirror " + table);
        EXPECT_EQ(kernel_lines_since(seq), std::vector<std::string>{}) << params;
        EXPECT_EQ(remove("ok").error, 0);
    }
};

TEST_F(MirrorCtrTest, AcceptsOracleTables) {
    expect_accepted("core 1 1024 2 /dev/ram0 0 /dev/ram1 0", "core 1 1024 2 1:0 0 1:1 0");
    expect_accepted("core 2 1024 sync 2 /dev/ram0 0 /dev/ram1 0", "core 2 1024 sync 2 1:0 0 1:1 0");
    expect_accepted("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 1 handle_errors",
                    "core 1 1024 2 1:0 0 1:1 0 1 handle_errors");
    expect_accepted("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 2 handle_errors keep_log",
                    "core 1 1024 2 1:0 0 1:1 0 2 handle_errors keep_log");
    expect_accepted("disk 2 /dev/ram2 1024 2 /dev/ram0 0 /dev/ram1 0 2 handle_errors keep_log",
                    "disk 2 1:2 1024 2 1:0 0 1:1 0 2 handle_errors keep_log");
    expect_accepted("core 1 8 2 /dev/ram0 0 /dev/ram1 0", "core 1 8 2 1:0 0 1:1 0");
    expect_accepted(
        "core 1 1024 9 /dev/ram0 0 /dev/ram1 0 /dev/ram3 0 /dev/ram0 0 /dev/ram1 0 /dev/ram3 0 "
        "/dev/ram0 0 /dev/ram1 0 /dev/ram3 0",
        "core 1 1024 9 1:0 0 1:1 0 1:3 0 1:0 0 1:1 0 1:3 0 1:0 0 1:1 0 1:3 0");
    expect_accepted("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 0", "core 1 1024 2 1:0 0 1:1 0");
    expect_accepted("core 1 4 2 /dev/ram0 0 /dev/ram1 0", "core 1 4 2 1:0 0 1:1 0");
    expect_accepted("core 1 65536 2 /dev/ram0 0 /dev/ram1 0", "core 1 65536 2 1:0 0 1:1 0");
    expect_accepted("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 2 keep_log handle_errors",
                    "core 1 1024 2 1:0 0 1:1 0 2 handle_errors keep_log");
}

TEST_F(MirrorCtrTest, CoreLogWrongArgumentCount) {
    expect_log_error("core 3 1024 nosync block_on_error 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to dirty region log");
    expect_log_error("core 0 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to dirty region log");
    expect_log_error("core 3 1024 nosync x 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to dirty region log");
    expect_log_error("core 5 1024 sync nosync block_on_error x 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to dirty region log");
    expect_log_error("core 3 1024 sync nosync 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to dirty region log");
}

TEST_F(MirrorCtrTest, InvalidRegionSizes) {
    for (const char* size : {"abc", "1000", "0", "131072"})
        expect_log_error(std::string("core 1 ") + size + " 2 /dev/ram0 0 /dev/ram1 0",
                         std::string("invalid region size ") + size);
    expect_log_error("disk 2 /dev/ram2 abc 2 /dev/ram0 0 /dev/ram1 0", "invalid region size abc");
}

TEST_F(MirrorCtrTest, UnrecognisedSyncArgument) {
    expect_log_error("core 2 1024 bogus 2 /dev/ram0 0 /dev/ram1 0",
                     "unrecognised sync argument to dirty region log: bogus");
    expect_log_error("disk 3 /dev/ram2 1024 bogus 2 /dev/ram0 0 /dev/ram1 0",
                     "unrecognised sync argument to dirty region log: bogus");
}

TEST_F(MirrorCtrTest, DiskLogWrongArgumentCount) {
    expect_log_error("disk 1 /dev/ram2 2 /dev/ram0 0 /dev/ram1 0",
                     "wrong number of arguments to disk dirty region log");
}

TEST_F(MirrorCtrTest, DiskLogMissingDeviceLogsOnlyTheMirrorLine) {
    expect_mirror_error("disk 2 /dev/nosuch 1024 2 /dev/ram0 0 /dev/ram1 0",
                        "Error creating mirror dirty log");
}

TEST_F(MirrorCtrTest, UnknownLogType) {
    expect_log_error("foo 1 1024 2 /dev/ram0 0 /dev/ram1 0",
                     "Module for logging type \"foo\" not found.");
}

TEST_F(MirrorCtrTest, InvalidNumberOfMirrors) {
    expect_mirror_error("core 1 1024 1 /dev/ram0 0", "Invalid number of mirrors");
    expect_mirror_error(
        "core 1 1024 10 /dev/ram0 0 /dev/ram1 0 /dev/ram3 0 /dev/ram0 0 /dev/ram1 0 "
        "/dev/ram3 0 /dev/ram0 0 /dev/ram1 0 /dev/ram3 0 /dev/ram0 0",
        "Invalid number of mirrors");
    expect_mirror_error("core 1 1024 0", "Invalid number of mirrors");
    expect_mirror_error("core 1 1024 x /dev/ram0 0 /dev/ram1 0", "Invalid number of mirrors");
}

TEST_F(MirrorCtrTest, LegErrors) {
    expect_mirror_error("core 1 1024 2 /dev/ram0 0", "Too few mirror arguments");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1", "Too few mirror arguments");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 abc", "Invalid offset");
    expect_mirror_error("core 1 1024 2 /dev/ram0 -1 /dev/ram1 0", "Invalid offset");  // no sign
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/nosuch 0", "Device lookup failure",
                        "-ENODEV", -ENODEV);
}

TEST_F(MirrorCtrTest, FeatureErrors) {
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 x", "Invalid number of features");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 2 handle_errors",
                        "Not enough arguments to support feature count");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 1 bogus",
                        "Unrecognised feature requested");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 1 keep_log",
                        "keep_log feature requires the handle_errors feature");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 1 handle_errors extra",
                        "Too many mirror arguments");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 3 handle_errors keep_log x",
                        "Unrecognised feature requested");
    expect_mirror_error("core 1 1024 2 /dev/ram0 0 /dev/ram1 0 1 HANDLE_ERRORS",
                        "Unrecognised feature requested");
}

TEST_F(MirrorCtrTest, InsufficientLogArguments) {
    expect_mirror_error("core", "Insufficient mirror log arguments");
    expect_mirror_error("", "Insufficient mirror log arguments");
    expect_mirror_error("core 1", "Insufficient mirror log arguments");
}

TEST_F(MirrorCtrTest, LegPastDeviceEndFailsTheAreaCheck) {
    auto [err, lines] = create_mirror("core 1 1024 2 /dev/ram0 131072 /dev/ram1 0");
    EXPECT_EQ(err, -EINVAL);
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines[0],
              "device-mapper: table: 254:0: ram0 too small for target: start=131072, len=65536, "
              "dev_size=131072");
}

TEST_F(MirrorCtrTest, MessagesAreNotSupported) {
    activate("mm", "0 65536 mirror core 1 1024 2 /dev/ram0 0 /dev/ram1 0");
    DmRequest r;
    r.cmd = DmCommand::target_msg;
    r.name = "mm";
    r.message = "hello";
    const auto seq = klog_.last_seq();
    EXPECT_EQ(ioctl(r).error, -EINVAL);
    EXPECT_EQ(
        kernel_lines_since(seq),
        std::vector<std::string>{"device-mapper: ioctl: Target type does not support messages"});
}

}  // namespace
}  // namespace dmemu::emu::testing
