// SPDX-License-Identifier: GPL-2.0-only
#include "tests/cli/shell_step.hpp"

#include <cctype>
#include <string_view>

namespace dmemu::cli_test {

std::optional<std::vector<std::string>> shell_words(const std::string& command,
                                                    std::string* error) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        if (c == ' ' || c == '\t') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '|') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            words.emplace_back("|");
        } else if (c == '\'') {
            const std::size_t end = command.find('\'', i + 1);
            if (end == std::string::npos) {
                *error = "unterminated single quote";
                return std::nullopt;
            }
            word += command.substr(i + 1, end - i - 1);
            in_word = true;
            i = end;
        } else if (c == '"') {
            for (++i; i < command.size() && command[i] != '"'; ++i) {
                if (command[i] == '\\' && i + 1 < command.size() &&
                    std::string_view("$`\"\\\n").find(command[i + 1]) != std::string_view::npos)
                    ++i;
                word.push_back(command[i]);
            }
            if (i >= command.size()) {
                *error = "unterminated double quote";
                return std::nullopt;
            }
            in_word = true;
        } else if (c == '\\' && i + 1 < command.size()) {
            word.push_back(command[++i]);
            in_word = true;
        } else {
            word.push_back(c);
            in_word = true;
        }
    }
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::string printf_format(const std::string& format) {
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c == '%' && i + 1 < format.size() && format[i + 1] == '%') {
            out.push_back('%');
            ++i;
        } else if (c == '\\' && i + 1 < format.size()) {
            switch (const char e = format[++i]) {
                case 'n':
                    out.push_back('\n');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                default:
                    out.push_back('\\');
                    out.push_back(e);
                    break;
            }
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::optional<ShellStep> parse_shell_step(const std::string& command, std::string* error) {
    ShellStep step;
    // exec FD</dev/mapper/NAME, exec FD<&- (no std::regex: GCC 12 warns inside it under ASan)
    if (command.rfind("exec ", 0) == 0) {
        std::size_t i = 5;
        while (i < command.size() && std::isdigit(static_cast<unsigned char>(command[i]))) ++i;
        const std::string fd = command.substr(5, i - 5);
        const std::string rest = command.substr(i);
        const std::string mapper = "</dev/mapper/";
        if (!fd.empty() && rest == "<&-") {
            step.kind = ShellStep::Kind::close_device;
            step.fd = std::stoi(fd);
            return step;
        }
        if (!fd.empty() && rest.rfind(mapper, 0) == 0 && rest.size() > mapper.size() &&
            rest.find_first_of(" \t/", mapper.size()) == std::string::npos) {
            step.kind = ShellStep::Kind::open_device;
            step.fd = std::stoi(fd);
            step.name = rest.substr(mapper.size());
            return step;
        }
    }
    auto words = shell_words(command, error);
    if (!words || words->empty()) {
        if (error->empty()) *error = "empty command";
        return std::nullopt;
    }
    if ((*words)[0] == "sleep" && words->size() == 2) {
        step.kind = ShellStep::Kind::sleep;
        step.seconds = std::stoi((*words)[1]);
        return step;
    }
    if (*words == std::vector<std::string>{"ls", "/dev/mapper"}) {
        step.kind = ShellStep::Kind::ls_mapper;
        return step;
    }
    std::size_t first = 0;
    if ((*words)[0] == "printf") {
        if (words->size() < 4 || (*words)[2] != "|") {
            *error = "expected: printf 'FORMAT' | dmsetup ...";
            return std::nullopt;
        }
        step.stdin_text = printf_format((*words)[1]);
        first = 3;
    }
    if ((*words)[first] != "dmsetup") {
        *error = "not a command the replay knows: " + command;
        return std::nullopt;
    }
    step.argv.assign(words->begin() + static_cast<long>(first) + 1, words->end());
    // `</dev/null`: an empty standard input, which a step has anyway.
    if (!step.argv.empty() && step.argv.back() == "</dev/null") step.argv.pop_back();
    return step;
}

}  // namespace dmemu::cli_test
