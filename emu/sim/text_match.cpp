// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/text_match.hpp"

#include <regex>

namespace dmemu::scenario {

struct TextMatch::Regex {
    std::regex re;
};

std::optional<TextMatch> TextMatch::parse(const std::string& word, std::string* error) {
    TextMatch m;
    m.source_ = word;
    if (word.size() >= 2 && word.front() == '/' && word.back() == '/') {
        try {
            m.regex_ = std::make_shared<Regex>(Regex{std::regex(word.substr(1, word.size() - 2))});
        } catch (const std::regex_error& e) {
            *error = "expected a valid regex, got " + word + ": " + e.what();
            return std::nullopt;
        }
        return m;
    }
    m.text_ = word;
    return m;
}

bool TextMatch::matches(const std::string& text) const {
    if (regex_) return std::regex_search(text, regex_->re);
    return text == text_;
}

bool TextMatch::found_in(const std::string& text) const {
    if (regex_) return std::regex_search(text, regex_->re);
    return text.find(text_) != std::string::npos;
}

}  // namespace dmemu::scenario
