// SPDX-License-Identifier: GPL-2.0-only
// A unified-style line diff for test failure messages: "-expected", "+actual", " same", with
// invisible bytes made visible (trailing spaces as '·', a missing final newline noted).
#pragma once

#include <string>

namespace dmemu::cli_test {

std::string unified_diff(const std::string& expected, const std::string& actual);

}  // namespace dmemu::cli_test
