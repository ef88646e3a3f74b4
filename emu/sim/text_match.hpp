// SPDX-License-Identifier: GPL-2.0-only
// What an expectation compares text with: the exact text, or /a regex/ (ECMAScript, searched
// anywhere in the text: anchor it with ^ and $ to match the whole).
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace dmemu::scenario {

class TextMatch {
public:
    // nullopt and *error set when the regex does not compile.
    static std::optional<TextMatch> parse(const std::string& word, std::string* error);

    bool is_regex() const { return regex_ != nullptr; }
    // Exact: text == expected. Regex: found in text.
    bool matches(const std::string& text) const;
    // Exact: expected occurs in text. Regex: found in text.
    bool found_in(const std::string& text) const;
    const std::string& source() const { return source_; }  // "/.../" or the text

private:
    struct Regex;
    std::string source_;
    std::string text_;
    std::shared_ptr<const Regex> regex_;
};

}  // namespace dmemu::scenario
