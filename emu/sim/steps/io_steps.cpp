// SPDX-License-Identifier: GPL-2.0-only
// Block I/O on mapped devices and disks (offsets and lengths in bytes, sector-aligned; every
// write carries the run's self-identifying pattern, pattern.hpp):
//   io write DEVICE OFFSET LEN [pattern=seeded] [timeout=10m]
//                                 fails on an error, or when not acknowledged in time (held)
//   io read DEVICE OFFSET LEN [timeout=10m]       fails on a read error
//   io verify DEVICE OFFSET LEN [timeout=10m]     read, and compare with every acknowledged write
//   io background DEVICE [name=bg] [writers=1] [readers=0] [ops=32] [size=4k|4k..64k]
//                 [think=0..2ms] [range=OFFSET+LEN]      seeded workers across later steps
//   io stop [NAME]                                background jobs stop after their current I/O
//   io drain [NAME]                               wait until the jobs are done and no scenario
//                                                 write is outstanding (fails if one is held)
#include <fmt/format.h>

#include "emu/sim/background_io.hpp"
#include "emu/sim/scenario_io.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/units.hpp"

namespace dmemu::scenario {

namespace {

constexpr std::size_t kMaxReported = 4;

struct Range {
    emu::Sector sector;
    std::uint64_t sectors;
};

Range byte_range(StepArgs& a, std::size_t off_i, std::size_t len_i) {
    const auto off = a.bytes(off_i, "the offset");
    const auto len = a.bytes(len_i, "the length");
    if (off % emu::kSectorSize != 0 || len % emu::kSectorSize != 0 || len == 0)
        a.fail("expected a sector-aligned offset and a non-zero sector-aligned length");
    return {off / emu::kSectorSize, len / emu::kSectorSize};
}

std::string origin_of(const StepArgs& a) { return "line " + std::to_string(a.at().line); }

std::string mismatch_text(const std::vector<Mismatch>& bad) {
    std::string out = fmt::format("{} sector{} differ", bad.size(), bad.size() == 1 ? "" : "s");
    for (std::size_t i = 0; i < bad.size() && i < kMaxReported; ++i)
        out += fmt::format("; sector {}: read {}, expected {}", bad[i].sector,
                           bad[i].found.str(bad[i].sector), bad[i].expected);
    return out;
}

class WriteStep final : public Step {
public:
    WriteStep(IoRequest io, emu::Duration limit) : io_(std::move(io)), limit_(limit) {}
    emu::Duration limit() const override { return limit_; }
    asio::awaitable<StepResult> run(World& world) override {
        IoRequest io = io_;
        const int err = co_await write_and_wait(world, std::move(io));
        if (err != 0)
            co_return StepResult::fail(fmt::format("io write {} sector {}+{}: {}", io_.device,
                                                   io_.sector, io_.sectors, errno_name(err)));
        co_return StepResult::pass();
    }

private:
    IoRequest io_;
    emu::Duration limit_;
};

class ReadStep final : public Step {
public:
    ReadStep(IoRequest io, bool verify, emu::Duration limit)
        : io_(std::move(io)), verify_(verify), limit_(limit) {}
    emu::Duration limit() const override { return limit_; }
    asio::awaitable<StepResult> run(World& world) override {
        IoRequest io = io_;
        auto outcome = co_await read_and_wait(world, std::move(io), verify_);
        const int err = outcome.first;
        const auto& bad = outcome.second;
        if (err != 0)
            co_return StepResult::fail(fmt::format("io read {} sector {}+{}: {}", io_.device,
                                                   io_.sector, io_.sectors, errno_name(err)));
        if (!bad.empty())
            co_return StepResult::fail(
                fmt::format("io verify {}: {}", io_.device, mismatch_text(bad)));
        co_return StepResult::pass();
    }

private:
    IoRequest io_;
    bool verify_;
    emu::Duration limit_;
};

// timeout=: how long the I/O may take before the step counts as hung (a held write).
emu::Duration io_timeout(StepArgs& a) {
    if (auto v = a.option("timeout")) return a.duration(*v, "the timeout");
    return Step::kDefaultLimit;
}

std::unique_ptr<Step> make_write(StepArgs& a) {
    if (auto p = a.option("pattern"); p && *p != "seeded")
        a.fail("expected pattern=seeded (the only pattern: every sector names its write), got '" +
               *p + "'");
    const auto limit = io_timeout(a);
    a.no_more_options();
    a.require(3, 3);
    auto r = byte_range(a, 1, 2);
    return std::make_unique<WriteStep>(IoRequest{a[0], r.sector, r.sectors, origin_of(a)}, limit);
}

template <bool Verify>
std::unique_ptr<Step> make_read(StepArgs& a) {
    const auto limit = io_timeout(a);
    a.no_more_options();
    a.require(3, 3);
    auto r = byte_range(a, 1, 2);
    return std::make_unique<ReadStep>(IoRequest{a[0], r.sector, r.sectors, origin_of(a)}, Verify,
                                      limit);
}

class BackgroundStep final : public Step {
public:
    explicit BackgroundStep(BackgroundSpec spec) : spec_(std::move(spec)) {}
    asio::awaitable<StepResult> run(World& world) override {
        const std::string error = world.background().start(spec_);
        if (!error.empty()) co_return StepResult::fail("io background: " + error);
        co_return StepResult::pass();
    }

private:
    BackgroundSpec spec_;
};

// "A..B" or "A" for sizes and durations.
template <typename T, typename Parse>
std::pair<T, T> span_of(StepArgs& a, const std::string& text, Parse parse) {
    const auto dots = text.find("..");
    if (dots == std::string::npos) {
        const T v = parse(text);
        return {v, v};
    }
    const T lo = parse(text.substr(0, dots));
    const T hi = parse(text.substr(dots + 2));
    if (hi < lo) a.fail("expected LOW..HIGH with LOW <= HIGH, got '" + text + "'");
    return {lo, hi};
}

std::unique_ptr<Step> make_background(StepArgs& a) {
    BackgroundSpec s;
    if (auto v = a.option("name")) s.name = *v;
    if (auto v = a.option("writers")) s.writers = static_cast<unsigned>(a.number(*v, "writers"));
    if (auto v = a.option("readers")) s.readers = static_cast<unsigned>(a.number(*v, "readers"));
    if (auto v = a.option("ops")) s.ops = a.number(*v, "ops");
    if (auto v = a.option("size")) {
        auto [lo, hi] = span_of<std::uint64_t>(a, *v, [&](const std::string& w) {
            const auto b = a.bytes(w, "the I/O size");
            if (b == 0 || b % 4096 != 0)
                a.fail("expected I/O sizes in multiples of 4k, got '" + w + "'");
            return b / emu::kSectorSize;
        });
        s.min_sectors = lo;
        s.max_sectors = hi;
    }
    if (auto v = a.option("think")) {
        auto [lo, hi] = span_of<emu::Duration>(
            a, *v, [&](const std::string& w) { return a.duration(w, "the think time"); });
        s.think_min = lo;
        s.think_max = hi;
    }
    if (auto v = a.option("range")) {
        const auto plus = v->find('+');
        if (plus == std::string::npos) a.fail("expected range=OFFSET+LEN, got '" + *v + "'");
        const auto off = a.bytes(v->substr(0, plus), "the range offset");
        const auto len = a.bytes(v->substr(plus + 1), "the range length");
        if (off % 4096 != 0 || len % 4096 != 0)
            a.fail("expected a 4k-aligned range, got '" + *v + "'");
        s.range_start = off / emu::kSectorSize;
        s.range_len = len / emu::kSectorSize;
    }
    a.no_more_options();
    a.require(1, 1);
    s.device = a[0];
    if (s.writers + s.readers == 0) a.fail("expected at least one writer or reader");
    return std::make_unique<BackgroundStep>(std::move(s));
}

class StopStep final : public Step {
public:
    explicit StopStep(std::string name) : name_(std::move(name)) {}
    asio::awaitable<StepResult> run(World& world) override {
        if (!name_.empty() && !world.background().exists(name_))
            co_return StepResult::fail("io stop: no background job named '" + name_ + "'");
        world.background().stop(name_);
        co_return StepResult::pass();
    }

private:
    std::string name_;
};

std::unique_ptr<Step> make_stop(StepArgs& a) {
    a.require(0, 1);
    return std::make_unique<StopStep>(a.size() == 1 ? a[0] : std::string());
}

// Waits until the job(s) finished and every scenario write completed; a held write keeps it
// waiting until the limit, and the step then fails naming what is still outstanding.
class DrainStep final : public Step {
public:
    DrainStep(std::string name, emu::Duration limit) : name_(std::move(name)), limit_(limit) {}
    asio::awaitable<StepResult> run(World& world) override {
        emu::Sleep sleep(world.clock());
        const auto deadline = world.clock().now() + limit_;
        for (;;) {
            const unsigned active = world.background().active(name_);
            if (active == 0) co_return StepResult::pass();
            if (world.clock().now() >= deadline)
                co_return StepResult::fail(fmt::format(
                    "io drain: {} background worker{} still waiting for I/O after {} (held)",
                    active, active == 1 ? "" : "s", format_duration(limit_)));
            co_await sleep.for_(std::chrono::milliseconds(100));
        }
    }
    emu::Duration limit() const override { return limit_ + std::chrono::minutes(1); }

private:
    std::string name_;
    emu::Duration limit_;
};

std::unique_ptr<Step> make_drain(StepArgs& a) {
    emu::Duration limit = std::chrono::minutes(1);
    if (auto v = a.option("timeout")) limit = a.duration(*v, "the timeout");
    a.no_more_options();
    a.require(0, 1);
    return std::make_unique<DrainStep>(a.size() == 1 ? a[0] : std::string(), limit);
}

}  // namespace

void register_io_steps(StepRegistry& r) {
    r.add(StepKind{"io write", "io write DEVICE OFFSET LEN [pattern=seeded] [timeout=10m]",
                   make_write});
    r.add(StepKind{"io read", "io read DEVICE OFFSET LEN [timeout=10m]", make_read<false>});
    r.add(StepKind{"io verify", "io verify DEVICE OFFSET LEN [timeout=10m]", make_read<true>});
    r.add(StepKind{"io background",
                   "io background DEVICE [name=bg] [writers=1] [readers=0] [ops=32] "
                   "[size=4k|4k..64k] [think=0..2ms] [range=OFFSET+LEN]",
                   make_background});
    r.add(StepKind{"io stop", "io stop [NAME]", make_stop});
    r.add(StepKind{"io drain", "io drain [NAME] [timeout=1m]", make_drain});
}

}  // namespace dmemu::scenario
