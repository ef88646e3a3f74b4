// SPDX-License-Identifier: GPL-2.0-only
// Expectations on data:
//   expect legs-identical MIRROR   every mirror target in MIRROR's live table: its legs hold the
//                                  same bytes over the target's extent (reports the regions
//                                  that differ and whose data each leg holds there)
//   expect data-intact DEVICE      every sector of DEVICE reads back as what the scenario's
//                                  writes left there (acknowledged writes win; in-flight and
//                                  failed ones may or may not have landed), and no background
//                                  reader saw stale or foreign data
//   expect io DEVICE COND...       counts of scenario I/O on DEVICE: writes, acked, failed,
//                                  pending (issued, not completed: held), reads, read-errors,
//                                  lost (in flight at a power cut);
//                                  COND is key=N, key>=N or key<=N
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <set>

#include "emu/io/submit_wait.hpp"
#include "emu/sim/count_condition.hpp"
#include "emu/sim/mirror_status.hpp"
#include "emu/sim/scenario_io.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

namespace {

constexpr std::uint64_t kChunk = 2048;  // sectors read at a time
constexpr std::size_t kMaxReported = 4;

std::string content_name(const SectorContent& c) {
    switch (c.kind) {
        case SectorContent::Kind::zeros:
            return "zeros";
        case SectorContent::Kind::foreign:
            return "foreign data";
        case SectorContent::Kind::written:
            return fmt::format("write #{}", c.write);
    }
    return "?";
}

// "0-7,9,12-15"
std::string ranges(const std::vector<std::uint64_t>& sorted) {
    std::string out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += i == j ? fmt::format("{}", sorted[i]) : fmt::format("{}-{}", sorted[i], sorted[j]);
        i = j + 1;
    }
    return out;
}

class LegsIdenticalStep final : public Step {
public:
    explicit LegsIdenticalStep(std::string mirror) : mirror_(std::move(mirror)) {}
    bool is_expectation() const override { return true; }

    asio::awaitable<StepResult> run(World& world) override {
        emu::DmRequest req;
        req.cmd = emu::DmCommand::table_status;
        req.name = mirror_;
        req.status_table = true;
        auto reply = co_await world.channel().call(std::move(req));
        if (reply.error != 0)
            co_return StepResult::fail(fmt::format("legs-identical {}: table failed: {}", mirror_,
                                                   errno_name(reply.error)));
        auto layouts = mirror_layout(reply.targets);
        if (!layouts || layouts->empty())
            co_return StepResult::fail("legs-identical " + mirror_ +
                                       ": no mirror target in its live table");
        std::string problems;
        std::uint64_t checked = 0;
        for (const auto& m : *layouts) {
            std::string p = co_await compare(world, m);
            checked += m.length;
            if (!p.empty()) problems += (problems.empty() ? "" : "; ") + p;
        }
        if (!problems.empty()) co_return StepResult::fail(problems);
        co_return StepResult::pass(fmt::format("legs identical over {} sectors", checked));
    }

private:
    // Empty when the legs agree; otherwise which regions differ and what each leg holds.
    asio::awaitable<std::string> compare(World& world, const MirrorLayout& m) {
        const std::uint64_t unit = m.region_size != 0 ? m.region_size : 8;
        const char* unit_name = m.region_size != 0 ? "region" : "4k block";
        std::vector<DeviceHandle> legs;
        for (const auto& leg : m.legs) {
            auto h = co_await world.device_by_number(leg.device);
            if (!h) co_return "leg " + leg.device + " is no device";
            legs.push_back(std::move(h));
        }
        std::map<std::uint64_t, std::string> differing;  // unit -> first difference in it
        std::vector<std::vector<std::byte>> bufs(legs.size());
        for (emu::Sector at = 0; at < m.length; at += kChunk) {
            const std::uint64_t n = std::min<std::uint64_t>(kChunk, m.length - at);
            for (std::size_t l = 0; l < legs.size(); ++l) {
                bufs[l].assign(n * emu::kSectorSize, std::byte{0});
                emu::Bio bio;
                bio.op = emu::BioOp::read;
                bio.sector = m.legs[l].offset + at;
                bio.sectors = n;
                bio.data = bufs[l].data();
                const int err = co_await emu::submit_and_wait(*legs[l].dev, std::move(bio));
                if (err != 0)
                    co_return fmt::format("reading leg {} at {} failed: {}", m.legs[l].device,
                                          m.legs[l].offset + at, errno_name(err));
            }
            for (std::uint64_t s = 0; s < n; ++s) {
                const std::size_t off = s * emu::kSectorSize;
                for (std::size_t l = 1; l < legs.size(); ++l) {
                    if (std::memcmp(bufs[0].data() + off, bufs[l].data() + off, emu::kSectorSize) ==
                        0)
                        continue;
                    const std::uint64_t u = (at + s) / unit;
                    if (differing.count(u) == 0) {
                        const auto seed = world.data().seed();
                        differing[u] = fmt::format(
                            "{} {} (sector {} of the target): leg {} holds {}, leg {} holds {}",
                            unit_name, u, at + s, m.legs[0].device,
                            content_name(identify(bufs[0].data() + off, seed)), m.legs[l].device,
                            content_name(identify(bufs[l].data() + off, seed)));
                    }
                }
            }
        }
        if (differing.empty()) co_return std::string();
        std::vector<std::uint64_t> units;
        for (const auto& [u, text] : differing) units.push_back(u);
        const std::uint64_t total = (m.length + unit - 1) / unit;
        std::string out = fmt::format("legs of the mirror at {} differ in {} of {} {}s ({})",
                                      m.start, units.size(), total, unit_name, ranges(units));
        std::size_t shown = 0;
        for (const auto& [u, text] : differing) {
            if (shown++ == kMaxReported) break;
            out += "; " + text;
        }
        co_return out;
    }

    std::string mirror_;
};

class DataIntactStep final : public Step {
public:
    explicit DataIntactStep(std::string device) : device_(std::move(device)) {}
    bool is_expectation() const override { return true; }

    asio::awaitable<StepResult> run(World& world) override {
        auto handle = world.device(device_);
        if (!handle) co_return StepResult::fail("data-intact: no device named '" + device_ + "'");
        const emu::Sector size = handle.dev->size_sectors();
        auto& data = world.data();
        std::uint64_t bad = 0;
        std::string detail;
        std::vector<std::byte> buf;
        for (emu::Sector at = 0; at < size; at += kChunk) {
            const std::uint64_t n = std::min<std::uint64_t>(kChunk, size - at);
            const int err = co_await read_raw(world, device_, at, n, &buf);
            if (err != 0)
                co_return StepResult::fail(
                    fmt::format("data-intact {}: reading {} sectors at {} failed: {}", device_, n,
                                at, errno_name(err)));
            for (std::uint64_t s = 0; s < n; ++s) {
                const auto c = identify(buf.data() + s * emu::kSectorSize, data.seed());
                if (data.accepts(device_, at + s, c)) continue;
                if (bad++ < kMaxReported)
                    detail += fmt::format("; sector {}: read {}, expected {}", at + s,
                                          c.str(at + s), data.describe_allowed(device_, at + s));
            }
        }
        const auto& problems = world.problems(device_);
        if (bad == 0 && problems.empty()) {
            const auto& c = data.counts(device_);
            co_return StepResult::pass(
                fmt::format("{} sectors match {} acknowledged writes", size, c.acked));
        }
        std::string out;
        if (bad != 0)
            out = fmt::format("{} of {} sectors of {} differ from what was acknowledged{}", bad,
                              size, device_, detail);
        if (!problems.empty()) {
            if (!out.empty()) out += "; ";
            out += fmt::format("{} background read problem{}: {}", problems.size(),
                               problems.size() == 1 ? "" : "s", problems.front());
        }
        co_return StepResult::fail(out);
    }

private:
    std::string device_;
};

class ExpectIoStep final : public Step {
public:
    ExpectIoStep(std::string device, std::vector<CountCondition> conds)
        : device_(std::move(device)), conds_(std::move(conds)) {}
    bool is_expectation() const override { return true; }
    asio::awaitable<StepResult> run(World& world) override {
        const auto& c = world.data().counts(device_);
        const std::map<std::string, std::uint64_t> v{
            {"writes", c.writes},     {"acked", c.acked}, {"failed", c.failed},
            {"pending", c.pending()}, {"reads", c.reads}, {"read-errors", c.read_errors},
            {"lost", c.lost}};
        const std::string now =
            fmt::format("writes={} acked={} failed={} pending={} reads={} read-errors={}{}",
                        c.writes, c.acked, c.failed, c.pending(), c.reads, c.read_errors,
                        c.lost != 0 ? fmt::format(" lost={}", c.lost) : std::string());
        for (const auto& cond : conds_)
            if (!cond.holds(v.at(cond.key)))
                co_return StepResult::fail(
                    fmt::format("io on {}: {}; expected {}", device_, now, cond.str()));
        co_return StepResult::pass(now);
    }

private:
    std::string device_;
    std::vector<CountCondition> conds_;
};

std::unique_ptr<Step> make_io(StepArgs& a) {
    if (a.size() < 2) a.fail("expected DEVICE and at least one condition");
    std::vector<CountCondition> conds;
    for (std::size_t i = 1; i < a.size(); ++i) {
        auto c = CountCondition::parse(a[i]);
        static const std::set<std::string> keys{"writes", "acked",       "failed", "pending",
                                                "reads",  "read-errors", "lost"};
        if (!c || keys.count(c->key) == 0)
            a.fail(
                "expected a condition like pending>=1 on writes, acked, failed, pending, reads or "
                "read-errors, got '" +
                a[i] + "'");
        conds.push_back(*c);
    }
    return std::make_unique<ExpectIoStep>(a[0], std::move(conds));
}

}  // namespace

void register_expect_data_steps(StepRegistry& r) {
    r.add(StepKind{"expect legs-identical", "expect legs-identical MIRROR",
                   make_with_one_word<LegsIdenticalStep>});
    r.add(StepKind{"expect data-intact", "expect data-intact DEVICE",
                   make_with_one_word<DataIntactStep>});
    r.add(StepKind{"expect io", "expect io DEVICE COND... (COND: pending>=1, failed=0, ...)",
                   make_io});
}

}  // namespace dmemu::scenario
