// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/step_registry.hpp"

#include <charconv>
#include <stdexcept>

#include "emu/sim/units.hpp"

namespace dmemu::scenario {

void StepRegistry::add(const StepKind& kind) {
    if (!kinds_.emplace(std::string(kind.name), kind).second)
        throw std::logic_error("scenario: step '" + std::string(kind.name) + "' registered twice");
}

const StepKind* StepRegistry::find(const std::vector<std::string>& words, std::size_t from,
                                   std::size_t* used) const {
    if (from >= words.size()) return nullptr;
    if (from + 1 < words.size()) {
        auto two = kinds_.find(words[from] + " " + words[from + 1]);
        if (two != kinds_.end()) {
            *used = 2;
            return &two->second;
        }
    }
    auto one = kinds_.find(words[from]);
    if (one == kinds_.end()) return nullptr;
    *used = 1;
    return &one->second;
}

std::unique_ptr<Step> StepRegistry::make(const LogicalLine& line, std::size_t from) const {
    std::size_t used = 0;
    const StepKind* kind = find(line.words, from, &used);
    if (kind == nullptr) {
        std::string what = from < line.words.size() ? line.words[from] : std::string();
        if (what == "expect" && from + 1 < line.words.size()) what += " " + line.words[from + 1];
        throw ParseError(line.at, "unknown step '" + what +
                                      "': expected a dm step (create, load, suspend, ...), a world "
                                      "step (disk, io, wait-sync, advance, ...) or an expectation "
                                      "(expect status, ...); see docs/scenarios.md");
    }
    StepArgs args(line, from + used, *kind, *this);
    return kind->make(args);
}

std::vector<const StepKind*> StepRegistry::kinds() const {
    std::vector<const StepKind*> out;
    for (const auto& [name, kind] : kinds_) out.push_back(&kind);
    return out;
}

StepArgs::StepArgs(const LogicalLine& line, std::size_t first, const StepKind& kind,
                   const StepRegistry& registry)
    : line_(line),
      kind_(kind),
      registry_(registry),
      words_(line.words.begin() + static_cast<std::ptrdiff_t>(first), line.words.end()) {}

std::string_view StepArgs::name() const { return kind_.name; }

void StepArgs::fail(const std::string& what) const {
    throw ParseError(line_.at, std::string(kind_.name) + ": " + what +
                                   " (usage: " + std::string(kind_.usage) + ")");
}

void StepArgs::require(std::size_t min, std::size_t max) const {
    if (words_.size() < min)
        fail("expected " + std::to_string(min) + (min == max ? "" : " or more") + " argument" +
             (min == 1 ? "" : "s") + ", got " + std::to_string(words_.size()));
    if (words_.size() > max) fail("unexpected argument '" + words_[max] + "'");
}

std::optional<std::string> StepArgs::option(std::string_view key) {
    for (auto it = words_.begin(); it != words_.end(); ++it) {
        if (it->size() > key.size() && it->compare(0, key.size(), key) == 0 &&
            (*it)[key.size()] == '=') {
            std::string value = it->substr(key.size() + 1);
            words_.erase(it);
            return value;
        }
    }
    return std::nullopt;
}

void StepArgs::no_more_options() const {
    for (const auto& w : words_) {
        const auto eq = w.find('=');
        if (eq != std::string::npos && eq > 0 &&
            w.find_first_not_of("abcdefghijklmnopqrstuvwxyz-<>") >= eq)
            fail("unknown option '" + w.substr(0, eq) + "'");
    }
}

std::uint64_t StepArgs::bytes(std::size_t i, std::string_view what) const {
    return bytes(words_.at(i), what);
}

std::uint64_t StepArgs::bytes(const std::string& word, std::string_view what) const {
    auto v = parse_size_bytes(word);
    if (!v)
        fail("expected " + std::string(what) + " as a size (512, 8s, 4k, 1M), got '" + word + "'");
    return *v;
}

emu::Duration StepArgs::duration(const std::string& word, std::string_view what) const {
    auto d = parse_duration(word);
    if (!d)
        fail("expected " + std::string(what) + " as a duration (250ms, 15s, 2m), got '" + word +
             "'");
    return *d;
}

std::uint64_t StepArgs::number(const std::string& word, std::string_view what) const {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), v, 10);
    if (ec != std::errc{} || p != word.data() + word.size())
        fail("expected " + std::string(what) + " as a number, got '" + word + "'");
    return v;
}

std::unique_ptr<Step> StepArgs::inner(std::size_t from) const {
    LogicalLine sub = line_;
    sub.words =
        std::vector<std::string>(words_.begin() + static_cast<std::ptrdiff_t>(from), words_.end());
    if (sub.words.empty()) fail("expected a step to run after the words to match");
    return registry_.make(sub, 0);
}

}  // namespace dmemu::scenario
