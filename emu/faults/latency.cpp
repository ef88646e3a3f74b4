// SPDX-License-Identifier: GPL-2.0-only
// latency: extra time before a bio reaches the media, on the emulator's Clock.
//
//   latency ms=N | us=N | dist=fixed:D | dist=uniform:D1-D2   [sectors=FIRST-LAST] [op=LIST]
//   (D: an integer with a unit, 250ns, 10us, 5ms, 2s; "uniform:1-10ms" puts the unit once;
//    op default any)
//
// Fault model: nothing is lost or corrupted; a matching bio waits the delay (uniform draws are
// seeded, whole nanoseconds, both ends included) and is in flight meanwhile, so a power cut in
// that time loses it (or tears it, with torn-write). Bios with different delays reach the media
// in a different order than they were submitted, as on a real disk queue: layers above must
// wait for a completion before they depend on it.
#include <fmt/format.h>

#include "emu/faults/fault_kinds.hpp"

namespace dmemu::emu {

namespace {

class LatencyFault final : public Fault {
public:
    LatencyFault(IoMatch match, Duration lo, Duration hi) : match_(match), lo_(lo), hi_(hi) {}

    Duration delay(const IoView& io, Rng& rng) override {
        if (!match_.matches(io)) return Duration::zero();
        if (lo_ == hi_) return lo_;
        const auto span = static_cast<std::uint64_t>((hi_ - lo_).count());
        return lo_ + Duration(static_cast<Duration::rep>(rng.below(span + 1)));
    }

private:
    const IoMatch match_;
    const Duration lo_, hi_;
};

// "uniform:1-10ms" or "uniform:1ms-10ms" -> [lo, hi]
bool latency_parse_uniform(std::string_view range, Duration* lo, Duration* hi) {
    const std::size_t dash = range.find('-');
    if (dash == std::string_view::npos) return false;
    std::string_view a = range.substr(0, dash);
    const std::string_view b = range.substr(dash + 1);
    const std::size_t unit_at = b.find_first_not_of("0123456789");
    std::string with_unit(a);
    if (unit_at != std::string_view::npos &&
        a.find_first_not_of("0123456789") == std::string_view::npos)
        with_unit += b.substr(unit_at);
    const auto l = parse_fault_duration(with_unit);
    const auto h = parse_fault_duration(b);
    if (!l || !h || *h < *l) return false;
    *lo = *l;
    *hi = *h;
    return true;
}

std::unique_ptr<Fault> latency_make(SpecReader& spec) {
    IoMatch any;
    any.read = any.write = any.flush = any.discard = true;
    const IoMatch match = spec.match(any);
    const auto ms = spec.number("ms");
    const auto us = spec.number("us");
    const auto dist = spec.value("dist");
    if (!spec.ok()) return nullptr;
    if (int(ms.has_value()) + int(us.has_value()) + int(dist.has_value()) != 1) {
        spec.fail("needs exactly one of ms=N, us=N or dist=fixed:D|uniform:D1-D2");
        return nullptr;
    }
    Duration lo{}, hi{};
    if (ms) {
        lo = hi = std::chrono::milliseconds(*ms);
    } else if (us) {
        lo = hi = std::chrono::microseconds(*us);
    } else if (dist->starts_with("fixed:")) {
        const auto d = parse_fault_duration(dist->substr(6));
        if (!d) {
            spec.fail(fmt::format("bad duration '{}'", dist->substr(6)));
            return nullptr;
        }
        lo = hi = *d;
    } else if (dist->starts_with("uniform:")) {
        if (!latency_parse_uniform(dist->substr(8), &lo, &hi)) {
            spec.fail(fmt::format("bad range '{}' (uniform:1-10ms, low <= high)", dist->substr(8)));
            return nullptr;
        }
    } else {
        spec.fail(fmt::format("unknown distribution '{}' (fixed:D, uniform:D1-D2)", *dist));
        return nullptr;
    }
    return std::make_unique<LatencyFault>(match, lo, hi);
}

}  // namespace

const FaultKind latency_fault_kind{
    "latency",
    "latency ms=N | us=N | dist=fixed:D | dist=uniform:D1-D2 [sectors=FIRST-LAST] [op=LIST]",
    latency_make};

}  // namespace dmemu::emu
