// SPDX-License-Identifier: GPL-2.0-only
// delay: a message spends extra time in transit, on the emulator's Clock.
//
//   delay ms=N | dist=fixed:D | dist=uniform:D1-D2  [p=P] [dir=...] [type=...] [times=N]
//   (D: an integer with a unit, 250ns, 10us, 5ms, 2s; "uniform:1-20ms" puts the unit once;
//    p default 1)
//
// Fault model: nothing is lost; each selected message (with probability p) is delivered after
// the delay (uniform draws are seeded whole nanoseconds, both ends included). Messages with
// different delays overtake each other. A reply delayed past the kernel's 15 s timeout arrives
// after the kernel has warned and resent with a fresh seq: the resend's reply is used, and the
// late one, whose seq nobody waits on any more, is dropped silently. A delayed request may
// reach the server after its resend, so the server may see the same request twice.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

class DelayFault final : public TransportFault {
public:
    DelayFault(TransportFaultSetup setup, double p, emu::Duration lo, emu::Duration hi)
        : TransportFault(std::move(setup)), p_(p), lo_(lo), hi_(hi) {}

protected:
    void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        if (!rng().chance(p_)) {
            forward(std::move(message));
            return;
        }
        emu::Duration d = lo_;
        if (hi_ != lo_) {
            const auto span = static_cast<std::uint64_t>((hi_ - lo_).count());
            d += emu::Duration(static_cast<emu::Duration::rep>(rng().below(span + 1)));
        }
        fire(info, "delayed " + format_fault_duration(d));
        // In the network now: delivered even if the fault is removed meanwhile.
        clock().call_after(d, [forward = std::move(forward), m = std::move(message)]() mutable {
            forward(std::move(m));
        });
    }

private:
    const double p_;
    const emu::Duration lo_, hi_;
};

// "1-20ms" or "1ms-20ms" -> [lo, hi]; the unit of the high end serves a bare low end.
std::optional<std::pair<emu::Duration, emu::Duration>> delay_parse_range(std::string_view text) {
    const std::size_t dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    const std::string_view high = text.substr(dash + 1);
    std::string low(text.substr(0, dash));
    if (!low.empty() && low.find_first_not_of("0123456789") == std::string::npos)
        low += high.substr(std::min(high.find_first_not_of("0123456789"), high.size()));
    const auto lo = emu::parse_fault_duration(low);
    const auto hi = emu::parse_fault_duration(high);
    if (!lo || !hi || *hi < *lo) return std::nullopt;
    return std::pair{*lo, *hi};
}

std::shared_ptr<TransportFault> delay_make(emu::SpecReader& spec, TransportFaultSetup setup) {
    const double p = spec.probability("p", 1.0);
    const auto ms = spec.number("ms");
    const auto dist = spec.value("dist");
    if (!spec.ok()) return nullptr;
    if (ms.has_value() == dist.has_value()) {
        spec.fail("needs exactly one of ms=N or dist=fixed:D|uniform:D1-D2");
        return nullptr;
    }
    emu::Duration lo{}, hi{};
    if (ms) {
        const auto d = emu::parse_fault_duration(std::to_string(*ms) + "ms");
        if (!d) {
            spec.fail(fmt::format("ms={} is too long", *ms));
            return nullptr;
        }
        lo = hi = *d;
    } else if (dist->starts_with("fixed:")) {
        const auto d = emu::parse_fault_duration(dist->substr(6));
        if (!d) {
            spec.fail(fmt::format("bad duration '{}'", dist->substr(6)));
            return nullptr;
        }
        lo = hi = *d;
    } else if (dist->starts_with("uniform:")) {
        const auto range = delay_parse_range(dist->substr(8));
        if (!range) {
            spec.fail(fmt::format("bad range '{}' (uniform:1-20ms, low <= high)", dist->substr(8)));
            return nullptr;
        }
        std::tie(lo, hi) = *range;
    } else {
        spec.fail(fmt::format("unknown distribution '{}' (fixed:D, uniform:D1-D2)", *dist));
        return nullptr;
    }
    return std::make_shared<DelayFault>(std::move(setup), p, lo, hi);
}

}  // namespace

const TransportFaultKind delay_transport_fault{
    "delay", "delay ms=N | dist=fixed:D | dist=uniform:D1-D2 [p=P]", true, delay_make};

}  // namespace dmemu::transfer
