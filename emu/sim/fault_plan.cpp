// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/fault_plan.hpp"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>

#include "emu/faults/faulty_disk.hpp"
#include "emu/io/memory_disk.hpp"
#include "emu/sim/log_selector.hpp"
#include "emu/sim/scenario.hpp"
#include "emu/sim/units.hpp"
#include "emu/sim/world.hpp"
#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::scenario {

namespace {

constexpr std::uint64_t kFractionSteps = 1000000;  // decimals drawn at 1e-6 resolution

struct Number {
    double value = 0;
    bool integer = true;
    std::string unit;  // what follows the digits: "s", "ms", ""
};

std::optional<Number> read_number(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    Number n;
    const std::string digits(s.substr(0, i));
    n.integer = digits.find('.') == std::string::npos;
    try {
        n.value = std::stod(digits);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    n.unit = std::string(s.substr(i));
    return n;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

// Every word with its range at the low end (for checking a spec at parse time).
std::vector<std::string> low_ends(const std::vector<std::string>& words) {
    std::vector<std::string> out;
    for (const auto& w : words) out.push_back(draw_range(w, 0).value_or(w));
    return out;
}

std::optional<std::string> option_of(const std::vector<std::string>& words, std::string_view key) {
    for (const auto& w : words)
        if (w.size() > key.size() && w.compare(0, key.size(), key) == 0 && w[key.size()] == '=')
            return w.substr(key.size() + 1);
    return std::nullopt;
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> out;
    std::size_t from = 0;
    for (;;) {
        const auto comma = s.find(',', from);
        out.push_back(s.substr(from, comma - from));
        if (comma == std::string::npos) return out;
        from = comma + 1;
    }
}

void check_disk_spec(const PlanLine& line) {
    auto error = disk_fault_spec_error(join(low_ends(line.words)));
    if (!error.empty()) throw ParseError(line.at, error);
}

void check_transport_spec(const PlanLine& line) {
    auto error = transport_fault_spec_error(join(low_ends(line.words)));
    if (!error.empty()) throw ParseError(line.at, error);
}

void check_crash(const PlanLine& line) {
    static const char* const keys[] = {"at", "luid", "p", "times", "restart"};
    for (const auto& w : line.words) {
        const auto eq = w.find('=');
        bool known = false;
        for (const char* k : keys) known = known || w.substr(0, eq) == k;
        if (eq == std::string::npos || !known)
            throw ParseError(line.at,
                             "crash-log-server: expected at=, luid=, p=, times= or "
                             "restart=, got '" +
                                 w + "'");
    }
    const auto low = low_ends(line.words);
    if (auto at = option_of(low, "at"))
        for (const auto& t : split_commas(*at))
            if (!transfer::request_type_from_name(t))
                throw ParseError(line.at, "crash-log-server: unknown request type '" + t + "'");
    if (auto l = option_of(low, "luid"); l && !valid_log_selector(*l))
        throw ParseError(line.at, "crash-log-server: expected luid=old|new|Ln, got '" + *l + "'");
    if (auto p = option_of(low, "p")) {
        auto n = read_number(*p);
        if (!n || !n->unit.empty() || n->value > 1)
            throw ParseError(line.at, "crash-log-server: expected p in [0, 1], got '" + *p + "'");
    }
    if (auto t = option_of(low, "times"); t && (!read_number(*t) || !read_number(*t)->integer))
        throw ParseError(line.at, "crash-log-server: expected times=N, got '" + *t + "'");
    if (auto r = option_of(low, "restart"); r && !parse_duration(*r))
        throw ParseError(line.at, "crash-log-server: expected restart=DURATION, got '" + *r + "'");
}

}  // namespace

// The parsers are the libraries' own: a throwaway disk and clock take the spec.
std::string disk_fault_spec_error(const std::string& spec) {
    boost::asio::io_context ctx;
    emu::VirtualClock clock(ctx);
    emu::FaultyDisk disk("check", std::make_unique<emu::MemoryDisk>(ctx, 8), clock, emu::Rng(1));
    std::string error;
    if (!disk.add_fault(spec, &error)) return error;
    return {};
}

std::string transport_fault_spec_error(const std::string& spec) {
    boost::asio::io_context ctx;
    emu::VirtualClock clock(ctx);
    transfer::TransportFaultSetup setup{&clock, emu::Rng(1)};
    auto parsed = transfer::parse_transport_fault(spec, std::move(setup));
    return parsed.fault ? std::string() : parsed.error;
}

std::optional<std::string> draw_range(const std::string& word, std::uint64_t draw) {
    const auto eq = word.find('=');
    const auto dots = word.find("..");
    if (eq == std::string::npos || dots == std::string::npos || dots < eq) return std::nullopt;
    auto lo = read_number(std::string_view(word).substr(eq + 1, dots - eq - 1));
    auto hi = read_number(std::string_view(word).substr(dots + 2));
    if (!lo || !hi || lo->unit != hi->unit || hi->value < lo->value) return std::nullopt;
    std::string value;
    if (lo->integer && hi->integer) {
        const auto a = static_cast<std::uint64_t>(lo->value);
        const auto b = static_cast<std::uint64_t>(hi->value);
        value = fmt::format("{}", a + draw % (b - a + 1));
    } else {
        const double u =
            static_cast<double>(draw % (kFractionSteps + 1)) / static_cast<double>(kFractionSteps);
        value = fmt::format("{:.6f}", lo->value + (hi->value - lo->value) * u);
    }
    return word.substr(0, eq + 1) + value + lo->unit;
}

std::shared_ptr<const PlanSpec> parse_fault_plan(std::string text, const std::string& file) {
    auto spec = std::make_shared<PlanSpec>();
    spec->file = file;
    spec->hash = text_hash(text);
    for (auto& l : lex(text, file)) {
        if (l.guarded) throw ParseError(l.at, "a fault plan line takes no guard");
        PlanLine line;
        line.at = l.at;
        const std::string& what = l.words.front();
        std::vector<std::string> rest(l.words.begin() + 1, l.words.end());
        if (what == "disk") {
            if (rest.size() < 2) throw ParseError(l.at, "disk: expected NAME|* and a fault spec");
            line.kind = PlanLine::Kind::disk;
            line.disk = rest.front();
            line.words.assign(rest.begin() + 1, rest.end());
            check_disk_spec(line);
        } else if (what == "transport") {
            if (rest.empty()) throw ParseError(l.at, "transport: expected a fault spec");
            line.kind = PlanLine::Kind::transport;
            line.words = std::move(rest);
            check_transport_spec(line);
        } else if (what == "crash-log-server") {
            line.kind = PlanLine::Kind::crash;
            line.words = std::move(rest);
            check_crash(line);
        } else {
            throw ParseError(l.at, "expected disk, transport or crash-log-server, got '" + what +
                                       "' (docs/faults.md, Fault plans)");
        }
        spec->lines.push_back(std::move(line));
    }
    spec->text = std::move(text);
    return spec;
}

std::shared_ptr<const PlanSpec> load_fault_plan(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("fault plan: cannot read '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return parse_fault_plan(text.str(), path);
}

void FaultPlan::start(World& world) {
    emu::Rng& rng = world.stream("plan");
    drawn_.clear();
    for (const auto& line : spec_->lines) {
        std::vector<std::string> words;
        for (const auto& w : line.words) {
            // A draw for every word, range or not: editing one word never reshuffles another.
            const std::uint64_t draw = rng.next();
            words.push_back(draw_range(w, draw).value_or(w));
        }
        if (line.kind == PlanLine::Kind::crash) {
            crashes_left_ = 1;
            if (auto t = option_of(words, "times"))
                std::from_chars(t->data(), t->data() + t->size(), crashes_left_);
        }
        drawn_.push_back(std::move(words));
    }
    on_boot(world);
}

void FaultPlan::on_boot(World& world) {
    if (stopped_) return;
    install_transport(world);
    arm_crash(world);
}

void FaultPlan::install_transport(World& world) {
    for (std::size_t i = 0; i < spec_->lines.size(); ++i) {
        if (spec_->lines[i].kind != PlanLine::Kind::transport) continue;
        std::string error;
        world.transport_faults().add(join(drawn_[i]), &error);
    }
}

void FaultPlan::arm_crash(World& world) {
    for (std::size_t i = 0; i < spec_->lines.size(); ++i) {
        if (spec_->lines[i].kind != PlanLine::Kind::crash) continue;
        const auto& words = drawn_[i];
        CrashArm arm;
        if (crashes_left_ == 0) return;
        arm.times = crashes_left_;
        if (auto at = option_of(words, "at")) {
            const auto types = split_commas(*at);
            // Which type this run crashes at: a per-run pick from the plan's stream.
            const auto pick = world.stream("plan/at").below(types.size());
            arm.type = transfer::request_type_from_name(types[pick]);
        }
        if (auto l = option_of(words, "luid")) arm.luid = log_selector(world, *l);
        if (auto p = option_of(words, "p")) arm.p = std::stod(*p);
        arm.rng = &world.stream("plan/crash");
        if (auto r = option_of(words, "restart"))
            restart_after_ = parse_duration(*r).value_or(restart_after_);
        world.crash_trigger().arm(std::move(arm));
        return;  // one crash line per plan is what the trigger holds
    }
}

void FaultPlan::on_disk(World& world, const std::string& disk) {
    if (stopped_) return;
    emu::FaultyDisk* d = world.dm().find_faulty_disk(disk);
    if (d == nullptr) return;
    for (std::size_t i = 0; i < spec_->lines.size(); ++i) {
        const auto& line = spec_->lines[i];
        if (line.kind != PlanLine::Kind::disk || (line.disk != "*" && line.disk != disk)) continue;
        std::string error;
        d->add_fault(join(drawn_[i]), &error);
    }
}

void FaultPlan::on_crash(World& world) {
    if (crashes_left_ > 0) --crashes_left_;
    const unsigned boot = world.boots();
    world.clock().call_after(restart_after_, [this, &world, boot] {
        // A power cut in between booted a machine with a server of its own.
        if (stopped_ || world.boots() != boot || world.log_server_running()) return;
        world.restart_log_server();
        auto& trace = world.trace();
        if (trace.enabled()) {
            Json j = trace.event("server");
            j["event"] = "restart";
            j["by"] = "plan";
            trace.emit(j);
        }
    });
}

}  // namespace dmemu::scenario
