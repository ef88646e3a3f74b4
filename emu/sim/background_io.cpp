// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/background_io.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "emu/sim/scenario_io.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {
constexpr std::uint64_t kAlign = 8;  // sectors: 4 KiB, the page the kernel would write
}

struct BackgroundIo::Job {
    BackgroundSpec spec;
    bool stopped = false;
    unsigned active = 0;
    std::uint64_t stripe = 0;  // sectors per writer
};

BackgroundIo::~BackgroundIo() { stop_all(); }

std::string BackgroundIo::start(BackgroundSpec spec) {
    if (jobs_.count(spec.name) != 0) return "a background job named '" + spec.name + "' exists";
    auto handle = world_.device(spec.device);
    if (!handle) return "no device named '" + spec.device + "'";
    const emu::Sector size = handle.dev->size_sectors();
    if (spec.range_len == 0) spec.range_len = size > spec.range_start ? size - spec.range_start : 0;
    if (spec.range_start + spec.range_len > size || spec.range_len == 0)
        return fmt::format("range {}+{} sectors does not fit '{}' ({} sectors)", spec.range_start,
                           spec.range_len, spec.device, size);
    auto job = std::make_shared<Job>();
    job->spec = spec;
    if (spec.writers > 0) {
        job->stripe = (spec.range_len / spec.writers) / kAlign * kAlign;
        if (job->stripe < spec.max_sectors)
            return fmt::format("{} writers of up to {} sectors do not fit in {} sectors",
                               spec.writers, spec.max_sectors, spec.range_len);
    }
    jobs_[spec.name] = job;
    auto& ctx = world_.context();
    for (unsigned i = 0; i < spec.writers; ++i) {
        ++job->active;
        asio::co_spawn(ctx, writer(world_, job, i), asio::detached);
    }
    for (unsigned i = 0; i < spec.readers; ++i) {
        ++job->active;
        asio::co_spawn(ctx, reader(world_, job, i), asio::detached);
    }
    return {};
}

void BackgroundIo::stop(const std::string& name) {
    for (auto& [n, job] : jobs_)
        if (name.empty() || n == name) job->stopped = true;
}

void BackgroundIo::abandon_all() {
    stop_all();
    jobs_.clear();
}

unsigned BackgroundIo::active(const std::string& name) const {
    unsigned n = 0;
    for (const auto& [jn, job] : jobs_)
        if (name.empty() || jn == name) n += job->active;
    return n;
}

namespace {

std::uint64_t draw_length(emu::Rng& rng, const BackgroundSpec& s) {
    const std::uint64_t lo = std::max<std::uint64_t>(1, s.min_sectors / kAlign);
    const std::uint64_t hi = std::max(lo, s.max_sectors / kAlign);
    return rng.between(lo, hi) * kAlign;
}

emu::Duration draw_think(emu::Rng& rng, const BackgroundSpec& s) {
    const auto lo = std::chrono::duration_cast<std::chrono::microseconds>(s.think_min).count();
    const auto hi = std::chrono::duration_cast<std::chrono::microseconds>(s.think_max).count();
    if (hi <= lo) return s.think_min;
    return std::chrono::microseconds(static_cast<std::int64_t>(
        rng.between(static_cast<std::uint64_t>(lo), static_cast<std::uint64_t>(hi))));
}

}  // namespace

asio::awaitable<void> BackgroundIo::writer(World& world, std::shared_ptr<Job> job, unsigned i) {
    const auto& s = job->spec;
    const std::string origin = fmt::format("{}.w{}", s.name, i);
    emu::Rng& rng = world.stream("io:" + origin);
    const emu::Sector base = s.range_start + i * job->stripe;
    emu::Sleep sleep(world.clock());
    for (std::uint64_t op = 0; op < s.ops && !job->stopped; ++op) {
        co_await sleep.for_(draw_think(rng, s));
        if (job->stopped) break;
        const std::uint64_t len = std::min(draw_length(rng, s), job->stripe);
        const std::uint64_t slots = (job->stripe - len) / kAlign + 1;
        const emu::Sector at = base + rng.below(slots) * kAlign;
        IoRequest io{s.device, at, len, origin};  // named: gcc 12 frees temporaries passed by value
        co_await write_and_wait(world, std::move(io));
    }
    --job->active;
}

asio::awaitable<void> BackgroundIo::reader(World& world, std::shared_ptr<Job> job, unsigned i) {
    const auto& s = job->spec;
    const std::string origin = fmt::format("{}.r{}", s.name, i);
    emu::Rng& rng = world.stream("io:" + origin);
    emu::Sleep sleep(world.clock());
    for (std::uint64_t op = 0; op < s.ops && !job->stopped; ++op) {
        co_await sleep.for_(draw_think(rng, s));
        if (job->stopped) break;
        const std::uint64_t len = std::min(draw_length(rng, s), s.range_len / kAlign * kAlign);
        const std::uint64_t slots = (s.range_len - len) / kAlign + 1;
        const emu::Sector at = s.range_start + rng.below(slots) * kAlign;
        IoRequest io{s.device, at, len, origin};  // named: gcc 12 frees temporaries passed by value
        auto outcome = co_await read_and_wait(world, std::move(io), true);
        const int err = outcome.first;
        const auto& bad = outcome.second;
        if (err != 0)
            world.note_problem(s.device, fmt::format("{}: read of {} sectors at {} failed: {}",
                                                     origin, len, at, errno_name(err)));
        for (const auto& m : bad)
            world.note_problem(s.device, fmt::format("{}: sector {} read {}, expected {}", origin,
                                                     m.sector, m.found.str(m.sector), m.expected));
    }
    --job->active;
}

}  // namespace dmemu::scenario
