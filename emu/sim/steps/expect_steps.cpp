// SPDX-License-Identifier: GPL-2.0-only
// Expectations on what dmsetup and the kernel log show. TEXT is exact or /regex/ (text_match.hpp).
//   expect status NAME TEXT          `dmsetup status NAME` (one line per target, no final newline)
//   expect table NAME TEXT           `dmsetup table NAME`
//   expect output TEXT DMSTEP...     any dm step's standard output
//   expect error TEXT STEP...        STEP (any step, an expectation too) must fail, its message
//                                    containing TEXT; a step that hangs fails this
//   expect hang timeout=D STEP...    STEP must still be waiting after D of virtual time
//   expect kernel-log TEXT [since=MARK] [count=N|count>=N]   kernel lines containing TEXT
#include <fmt/format.h>

#include "emu/sim/count_condition.hpp"
#include "emu/sim/dm_command.hpp"
#include "emu/sim/driver.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/text_match.hpp"
#include "emu/sim/units.hpp"

namespace dmemu::scenario {

namespace {

TextMatch match_arg(StepArgs& a, const std::string& word) {
    std::string error;
    auto m = TextMatch::parse(word, &error);
    if (!m) a.fail(error);
    return *m;
}

class ExpectOutputStep final : public Step {
public:
    ExpectOutputStep(std::vector<std::string> argv, TextMatch want)
        : argv_(std::move(argv)), want_(std::move(want)) {}
    bool is_expectation() const override { return true; }
    asio::awaitable<StepResult> run(World& world) override {
        auto r = co_await run_dm(world, argv_);
        if (r.exit_code != 0)
            co_return StepResult::fail(shell_join(argv_) + " failed: " + chomp(r.err));
        const std::string got = chomp(r.out);
        if (want_.matches(got)) co_return StepResult::pass(got);
        co_return StepResult::fail(
            fmt::format("{} printed\n      {}\n    expected{}\n      {}", shell_join(argv_), got,
                        want_.is_regex() ? " a match of" : "", want_.source()));
    }

private:
    std::vector<std::string> argv_;
    TextMatch want_;
};

template <const char* Command>
std::unique_ptr<Step> make_status_like(StepArgs& a) {
    a.require(2, 3);
    std::vector<std::string> argv{Command};
    for (std::size_t i = 0; i + 1 < a.size(); ++i) argv.push_back(a[i]);
    return std::make_unique<ExpectOutputStep>(std::move(argv), match_arg(a, a[a.size() - 1]));
}

constexpr char kStatus[] = "status";
constexpr char kTable[] = "table";

std::unique_ptr<Step> make_output(StepArgs& a) {
    if (a.size() < 2) a.fail("expected TEXT and a dm step");
    std::vector<std::string> argv(a.words().begin() + 1, a.words().end());
    if (argv.front() == "dmsetup") argv.erase(argv.begin());
    return std::make_unique<ExpectOutputStep>(std::move(argv), match_arg(a, a[0]));
}

class ExpectErrorStep final : public Step {
public:
    ExpectErrorStep(TextMatch want, std::unique_ptr<Step> inner)
        : want_(std::move(want)), inner_(std::move(inner)) {}
    bool is_expectation() const override { return true; }
    emu::Duration limit() const override { return inner_->limit() + std::chrono::minutes(1); }
    asio::awaitable<StepResult> run(World& world) override {
        auto r = co_await run_bounded(*inner_, world, inner_->limit());
        if (!r)
            co_return StepResult::fail("the step did not finish within " +
                                       format_duration(inner_->limit()) +
                                       " (hung), expected it to fail with " + want_.source());
        if (r->ok)
            co_return StepResult::fail("the step succeeded, expected it to fail with " +
                                       want_.source());
        if (want_.found_in(r->message)) co_return StepResult::pass(r->message);
        co_return StepResult::fail(fmt::format("the step failed with\n      {}\n    expected {}",
                                               r->message, want_.source()));
    }

private:
    TextMatch want_;
    std::unique_ptr<Step> inner_;
};

// The inner step must still be running after the timeout: an I/O hang, a suspend that waits
// for ever. It is left running, as a process stuck in D state stays stuck.
class ExpectHangStep final : public Step {
public:
    ExpectHangStep(emu::Duration timeout, std::unique_ptr<Step> inner)
        : timeout_(timeout), inner_(std::move(inner)) {}
    bool is_expectation() const override { return true; }
    emu::Duration limit() const override { return timeout_ + std::chrono::minutes(1); }
    asio::awaitable<StepResult> run(World& world) override {
        auto r = co_await run_bounded(*inner_, world, timeout_);
        if (!r) co_return StepResult::pass("still waiting after " + format_duration(timeout_));
        co_return StepResult::fail("the step finished within " + format_duration(timeout_) + " (" +
                                   (r->ok ? std::string("it passed") : "it failed: " + r->message) +
                                   "), expected it to hang");
    }

private:
    emu::Duration timeout_;
    std::unique_ptr<Step> inner_;
};

std::unique_ptr<Step> make_hang(StepArgs& a) {
    if (a.size() < 2 || a[0].rfind("timeout=", 0) != 0)
        a.fail("expected timeout=DURATION and the step that must hang");
    const auto timeout = a.duration(a[0].substr(8), "the timeout");
    return std::make_unique<ExpectHangStep>(timeout, a.inner(1));
}

std::unique_ptr<Step> make_error(StepArgs& a) {
    if (a.size() < 2) a.fail("expected TEXT and the step that must fail");
    return std::make_unique<ExpectErrorStep>(match_arg(a, a[0]), a.inner(1));
}

class ExpectKernelLogStep final : public Step {
public:
    ExpectKernelLogStep(TextMatch want, std::string since, CountCondition count)
        : want_(std::move(want)), since_(std::move(since)), count_(count) {}
    bool is_expectation() const override { return true; }
    asio::awaitable<StepResult> run(World& world) override {
        std::uint64_t after = 0;
        if (!since_.empty()) {
            auto it = world.marks().find(since_);
            if (it == world.marks().end())
                co_return StepResult::fail("no mark named '" + since_ +
                                           "' was set before this line");
            after = it->second.kernel_seq;
        }
        std::uint64_t n = 0;
        std::string first;
        for (const auto& line : world.kernel_log().since(after))
            if (want_.found_in(line.text)) {
                if (first.empty()) first = line.text;
                ++n;
            }
        if (count_.holds(n)) co_return StepResult::pass(first);
        co_return StepResult::fail(
            fmt::format("{} kernel line{} matched {}{}, expected {}", n, n == 1 ? "" : "s",
                        want_.source(), since_.empty() ? "" : " since " + since_, count_.str()));
    }

private:
    TextMatch want_;
    std::string since_;
    CountCondition count_;
};

std::unique_ptr<Step> make_kernel_log(StepArgs& a) {
    std::string since = a.option("since").value_or("");
    CountCondition count{"count", CountCondition::Op::ge, 1};
    std::vector<std::string> text;
    for (const auto& w : a.words()) {
        auto c = CountCondition::parse(w);
        if (c && c->key == "count")
            count = *c;
        else
            text.push_back(w);
    }
    if (text.size() != 1) a.fail("expected one TEXT (quote it) and options since=MARK, count=N");
    return std::make_unique<ExpectKernelLogStep>(match_arg(a, text[0]), std::move(since), count);
}

}  // namespace

void register_expect_steps(StepRegistry& r) {
    r.add(StepKind{"expect status", "expect status NAME TEXT|/REGEX/", make_status_like<kStatus>});
    r.add(StepKind{"expect table", "expect table NAME [--inactive] TEXT|/REGEX/",
                   make_status_like<kTable>});
    r.add(StepKind{"expect output", "expect output TEXT|/REGEX/ DMSTEP...", make_output});
    r.add(StepKind{"expect error", "expect error TEXT|/REGEX/ STEP...", make_error});
    r.add(StepKind{"expect hang", "expect hang timeout=DURATION STEP...", make_hang});
    r.add(StepKind{"expect kernel-log",
                   "expect kernel-log TEXT|/REGEX/ [since=MARK] [count=N|count>=N|count<=N]",
                   make_kernel_log});
}

}  // namespace dmemu::scenario
