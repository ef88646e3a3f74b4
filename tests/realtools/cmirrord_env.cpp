// SPDX-License-Identifier: GPL-2.0-only
#include "tests/realtools/cmirrord_env.hpp"

#include <cstdlib>

#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {

std::string cmirrord_dir() {
    const char* v = std::getenv("DMEMU_CMIRRORD_DIR");
    return v && *v ? v : DMEMU_CMIRRORD_DIR_DEFAULT;
}

std::string cmirrord_run() {
    const char* v = std::getenv("DMEMU_CMIRRORD_RUN");
    return v && *v ? v : DMEMU_CMIRRORD_RUN_DEFAULT;
}

frontend_test::Verdict cmirrord_verdict(std::string* why) {
    for (const std::string& program :
         {cmirrord_dir() + "/cmirrord", cmirrord_dir() + "/cmirrord-legacy",
          std::string("/usr/sbin/corosync")})
        if (auto v = program_verdict(program, why); v != frontend_test::Verdict::run) return v;
    if (frontend_test::run("unshare -Urnm true >/dev/null 2>&1") == 0)
        return frontend_test::Verdict::run;
    *why = "user namespaces are refused here (unshare -Urnm): corosync cannot run without root";
    return frontend_test::in_ci() ? frontend_test::Verdict::fail : frontend_test::Verdict::skip;
}

}  // namespace dmemu::realtools_test
