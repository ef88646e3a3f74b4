// SPDX-License-Identifier: GPL-2.0-only
// A daemon set up like the oracle guest (dm major 254; ram0..ram3, 64 MiB each at 1:0..1:3) in a
// temporary DIR, and programs run inside `dmemu exec DIR` the way a user runs them: the real
// /usr/sbin/dmsetup (libdevmapper 1.02.185), coreutils, e2fsprogs, and the guest's own busybox
// applets where a golden file captured their words.
//
// Skips saying why (fails in CI, and in the unprivileged pass) when FUSE or a program is
// missing: tests/frontend/fuse_fixture.hpp's verdicts.
//
// Environment (each overrides a path fixed at build time; the unprivileged pass of tools/test.sh
// copies the programs and data to a directory its user can read): DMEMU_BIN, DMEMU_SETUP_BIN,
// DMEMU_ULOGD_BIN, DMEMU_DMSETUP (the real dmsetup, default /usr/sbin/dmsetup),
// DMEMU_ORACLE_DIR (the shared oracle's golden/), DMEMU_FIXTURES_CASES_DIR (fixtures/oracle/cases),
// DMEMU_ORACLE_LIB (oracle_lib.sh), DMEMU_ULOG_ORACLE_DIR (tests/ulog/oracle). In a sanitized
// build the real programs cannot load an instrumented preload library: DMEMU_PRELOAD must name
// an uninstrumented one (tools/test.sh passes the normal build's), or the tests skip saying so.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/cli/subprocess.hpp"
#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::realtools_test {

std::string dmemu_bin();
std::string dmemu_setup_bin();
std::string dmemu_ulogd_bin();
std::string real_dmsetup();
std::string oracle_lib();
std::string fixtures_cases_dir();
std::string ulog_oracle_dir();
// A program's verdict: run when `path` is executable, else skip (fail in CI) naming it.
frontend_test::Verdict program_verdict(const std::string& path, std::string* why);

class RealToolsTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // `dmemu exec DIR -- bash -c SCRIPT` (or busybox sh when `busybox`), with LC_ALL=C and the
    // directory of the real dmsetup first on PATH; `env` adds NAME=VALUE pairs.
    cli_test::ProgramResult exec_shell(const std::string& script,
                                       const std::vector<std::string>& env = {},
                                       bool busybox = false, const std::string& stdin_text = {});
    // `dmemu-setup ARGS` against the daemon.
    cli_test::ProgramResult setup(const std::vector<std::string>& args);
    std::string path(const std::string& rel) const { return (dir_ / rel).string(); }
    // A directory of busybox applet links (the oracle guest's userland), made once.
    std::filesystem::path busybox_bin();
    // Options `dmemu start DIR --dm-major 254` gets besides (a fixture's own).
    virtual std::vector<std::string> start_options() const { return {}; }

    std::filesystem::path dir_;      // DIR of the daemon
    std::filesystem::path scratch_;  // files of the test
    bool started_ = false;
};

}  // namespace dmemu::realtools_test
