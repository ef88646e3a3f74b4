// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/lexer.hpp"

namespace dmemu::scenario {

namespace {

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// One pass over the text: a logical line ends at a newline outside quotes that no backslash
// escapes; quotes may span lines, as in a shell (a multi-target --table).
class Lexer {
public:
    Lexer(std::string_view text, const std::string& file) : s_(text), file_(file) {}

    std::vector<LogicalLine> run() {
        std::vector<LogicalLine> out;
        while (i_ < s_.size()) {
            LogicalLine line = next();
            if (line.words.empty()) {
                if (line.guarded) throw ParseError(line.at, "expected a step after the guard");
                continue;
            }
            out.push_back(std::move(line));
        }
        return out;
    }

private:
    char peek(std::size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
    char take() {
        const char c = s_[i_++];
        if (c == '\n') ++lineno_;
        return c;
    }
    SourceLocation here() const { return SourceLocation{file_, lineno_}; }

    LogicalLine next() {
        LogicalLine line;
        while (peek() == ' ' || peek() == '\t' || peek() == '\r') take();
        line.at = here();
        const std::size_t start = i_;
        if (peek() == '[') guard(line);
        std::string word;
        bool in_word = false;
        auto end_word = [&] {
            if (in_word) line.words.push_back(std::move(word));
            word.clear();
            in_word = false;
        };
        while (i_ < s_.size()) {
            const char c = peek();
            if (c == '\n') {
                take();
                break;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                take();
                end_word();
            } else if (c == '#' && !in_word) {
                while (i_ < s_.size() && peek() != '\n') take();
            } else if (c == '\'') {
                const SourceLocation opened = here();
                take();
                for (;;) {
                    if (i_ >= s_.size())
                        throw ParseError(opened, "unterminated ' quote: expected a closing '");
                    const char q = take();
                    if (q == '\'') break;
                    word.push_back(q);
                }
                in_word = true;
            } else if (c == '"') {
                const SourceLocation opened = here();
                take();
                for (;;) {
                    if (i_ >= s_.size())
                        throw ParseError(opened, "unterminated \" quote: expected a closing \"");
                    const char q = take();
                    if (q == '"') break;
                    if (q == '\\' && (peek() == '"' || peek() == '\\' || peek() == '$')) {
                        word.push_back(take());
                        continue;
                    }
                    word.push_back(q);
                }
                in_word = true;
            } else if (c == '\\') {
                take();
                if (peek() == '\n') {
                    take();  // line continuation
                    end_word();
                } else if (i_ < s_.size()) {
                    word.push_back(take());
                    in_word = true;
                }
            } else {
                word.push_back(take());
                in_word = true;
            }
        }
        end_word();
        // The text as written, each backslash-newline continuation read as a space.
        std::string raw;
        const std::string_view written = s_.substr(start, i_ - start);
        for (std::size_t k = 0; k < written.size(); ++k) {
            if (written[k] == '\\' && k + 1 < written.size() && written[k + 1] == '\n') {
                raw.push_back(' ');
                ++k;
            } else {
                raw.push_back(written[k]);
            }
        }
        line.text = trim(raw);
        return line;
    }

    void guard(LogicalLine& line) {
        const auto close = s_.find(']', i_);
        const auto nl = s_.find('\n', i_);
        if (close == std::string_view::npos || (nl != std::string_view::npos && nl < close))
            throw ParseError(line.at,
                             "unterminated guard: expected ']' after '[' (e.g. [uuid] expect ...)");
        std::string error;
        auto modes = ModeSet::parse(s_.substr(i_ + 1, close - i_ - 1), &error);
        if (!modes) throw ParseError(line.at, error);
        line.modes = *modes;
        line.guarded = true;
        i_ = close + 1;
    }

    std::string_view s_;
    const std::string& file_;
    std::size_t i_ = 0;
    int lineno_ = 1;
};

}  // namespace

std::vector<LogicalLine> lex(std::string_view text, const std::string& file) {
    return Lexer(text, file).run();
}

}  // namespace dmemu::scenario
