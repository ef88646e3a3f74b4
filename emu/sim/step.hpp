// SPDX-License-Identifier: GPL-2.0-only
// A scenario step: one line of the file, parsed once into an object that runs on the world's
// loop as a coroutine. Steps come in families, one file each under steps/, and register their
// kinds (name, usage, factory) from the one list in builtin_steps.cpp.
//
// A step passes or fails with a message (a dm step's message is dmsetup's stderr, so
// `expect error 'words' STEP` can match it). A step that does not finish within limit() of
// virtual time counts as hung: it fails, and its coroutine is left where it waits, as a process
// stuck in D state would be.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/sim/lexer.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::scenario {

namespace asio = boost::asio;
class World;
class StepRegistry;
struct StepKind;

struct StepResult {
    bool ok = true;
    std::string message;  // why it failed (dm steps: dmsetup's stderr); a note when it passed

    static StepResult pass(std::string note = {}) { return {true, std::move(note)}; }
    static StepResult fail(std::string why) { return {false, std::move(why)}; }
};

class Step {
public:
    static constexpr emu::Duration kDefaultLimit = std::chrono::minutes(10);

    virtual ~Step() = default;
    virtual asio::awaitable<StepResult> run(World& world) = 0;
    // Virtual time the step may take before it counts as hung.
    virtual emu::Duration limit() const { return kDefaultLimit; }
    // Expectations are reported as such (the first failed one is what a sweep prints).
    virtual bool is_expectation() const { return false; }
};

// The words of one line after the step's name, with helpers that fail as
// "FILE:LINE: NAME: what was expected (usage: ...)".
class StepArgs {
public:
    StepArgs(const LogicalLine& line, std::size_t first, const StepKind& kind,
             const StepRegistry& registry);

    const SourceLocation& at() const { return line_.at; }
    const LogicalLine& line() const { return line_; }
    const StepRegistry& registry() const { return registry_; }
    std::string_view name() const;

    // Positional words (key=value options already taken out by option() are gone).
    std::size_t size() const { return words_.size(); }
    const std::string& operator[](std::size_t i) const { return words_.at(i); }
    const std::vector<std::string>& words() const { return words_; }

    [[noreturn]] void fail(const std::string& what) const;
    void require(std::size_t min, std::size_t max) const;

    // Takes "key=value" out of the positional words; nullopt when absent.
    std::optional<std::string> option(std::string_view key);
    // Fails on any word left that looks like key=value.
    void no_more_options() const;

    std::uint64_t bytes(std::size_t i, std::string_view what) const;
    std::uint64_t bytes(const std::string& word, std::string_view what) const;
    emu::Duration duration(const std::string& word, std::string_view what) const;
    std::uint64_t number(const std::string& word, std::string_view what) const;

    // The step written from word i on (expect error 'text' STEP ...).
    std::unique_ptr<Step> inner(std::size_t from) const;

private:
    const LogicalLine& line_;
    const StepKind& kind_;
    const StepRegistry& registry_;
    std::vector<std::string> words_;
};

using StepFactory = std::unique_ptr<Step> (*)(StepArgs& args);

// The factory of a step that takes exactly one word (a device, a mark name).
template <typename S>
std::unique_ptr<Step> make_with_one_word(StepArgs& args) {
    args.require(1, 1);
    return std::make_unique<S>(args[0]);
}

struct StepKind {
    std::string_view name;   // one word, or "expect <what>"
    std::string_view usage;  // the grammar, as docs/scenarios.md shows it
    StepFactory make;
};

}  // namespace dmemu::scenario
