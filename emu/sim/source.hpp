// SPDX-License-Identifier: GPL-2.0-only
// Where a scenario line came from, and the error a malformed line raises: "FILE:LINE: what was
// expected", the form compilers use, so editors jump to it.
#pragma once

#include <stdexcept>
#include <string>

namespace dmemu::scenario {

struct SourceLocation {
    std::string file;
    int line = 0;

    std::string str() const { return file + ":" + std::to_string(line); }
};

class ParseError : public std::runtime_error {
public:
    ParseError(const SourceLocation& at, const std::string& what)
        : std::runtime_error(at.str() + ": " + what) {}
};

}  // namespace dmemu::scenario
