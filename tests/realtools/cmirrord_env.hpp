// SPDX-License-Identifier: GPL-2.0-only
// What the tests of the real cmirrord need: the binaries (DMEMU_CMIRRORD_DIR, default the build
// tree's cmirrord/, tools/cmirrord/build.sh), the script that runs them (DMEMU_CMIRRORD_RUN),
// corosync, and user namespaces. Each requirement is a verdict: skip saying why, fail in CI.
#pragma once

#include <string>

#include "tests/frontend/fuse_fixture.hpp"

namespace dmemu::realtools_test {

std::string cmirrord_dir();
std::string cmirrord_run();
// All of the above at once.
frontend_test::Verdict cmirrord_verdict(std::string* why);

}  // namespace dmemu::realtools_test
