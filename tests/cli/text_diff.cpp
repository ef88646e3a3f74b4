// SPDX-License-Identifier: GPL-2.0-only
#include "tests/cli/text_diff.hpp"

#include <vector>

namespace dmemu::cli_test {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) {
            lines.push_back(text.substr(pos) + "\\ (no newline at end)");
            break;
        }
        lines.push_back(text.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

std::string visible(const std::string& line) {
    std::string s = line;
    std::size_t end = s.size();
    while (end > 0 && s[end - 1] == ' ') --end;
    std::string out = s.substr(0, end);
    for (std::size_t i = end; i < s.size(); ++i) out += "\xc2\xb7";  // '·'
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] == '\t') out.replace(i, 1, "\\t");
    return out;
}

}  // namespace

std::string unified_diff(const std::string& expected, const std::string& actual) {
    const auto a = lines_of(expected);
    const auto b = lines_of(actual);
    // Longest common subsequence over lines: outputs are a few hundred lines at most.
    std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
    for (std::size_t i = a.size(); i-- > 0;)
        for (std::size_t j = b.size(); j-- > 0;)
            lcs[i][j] =
                a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    std::string out = "--- expected\n+++ actual\n";
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (i < a.size() && j < b.size() && a[i] == b[j]) {
            out += " " + visible(a[i++]) + "\n";
            ++j;
        } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
            out += "-" + visible(a[i++]) + "\n";
        } else {
            out += "+" + visible(b[j++]) + "\n";
        }
    }
    return out;
}

}  // namespace dmemu::cli_test
