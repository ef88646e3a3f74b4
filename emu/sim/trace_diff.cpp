// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/trace_diff.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <set>
#include <string>

namespace dmemu::scenario {

namespace {

constexpr std::size_t kValueLength = 60;

bool is_step_line(const nlohmann::ordered_json& j, const char* kind) {
    return j.at("kind").get_ref<const std::string&>() == kind;
}

std::string describe(const TraceFile& trace) {
    const auto& first = trace.events.front().json;
    std::string what;
    if (is_step_line(first, "run") && first.contains("seed") && first.contains("match"))
        what = fmt::format(
            "seed={} match={}, ", first["seed"].dump(),
            first["match"].is_string() ? first["match"].get<std::string>() : first["match"].dump());
    return fmt::format("{} ({}{} events)", trace.path, what, trace.events.size());
}

std::string short_value(const nlohmann::json* v) {
    if (v == nullptr) return "(none)";
    std::string s = v->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (s.size() > kValueLength) s = s.substr(0, kValueLength - 3) + "...";
    return s;
}

// The top-level fields two events of the same shape differ in: "reached "L2" | "L1"".
std::string differing_fields(const nlohmann::json& a, const nlohmann::json& b) {
    if (!a.is_object() || !b.is_object()) return {};
    std::set<std::string> keys;
    for (const auto& [k, v] : a.items()) keys.insert(k);
    for (const auto& [k, v] : b.items()) keys.insert(k);
    std::string out;
    for (const auto& k : keys) {
        const auto ia = a.find(k), ib = b.find(k);
        const nlohmann::json* va = ia == a.end() ? nullptr : &*ia;
        const nlohmann::json* vb = ib == b.end() ? nullptr : &*ib;
        if (va && vb && *va == *vb) continue;
        out += fmt::format("{}{} {} | {}", out.empty() ? "" : "; ", k, short_value(va),
                           short_value(vb));
    }
    return out;
}

// The step the event at `line` happened in: the last "step" line at or before it.
std::string step_of(const TraceFile& trace, std::size_t line) {
    const TraceEvent* step = nullptr;
    for (const auto& e : trace.events) {
        if (e.line > line) break;
        if (is_step_line(e.json, "step")) step = &e;
    }
    if (step == nullptr) return "before the first step";
    std::string text = event_field<std::string>(step->json, "text", "");
    std::replace(text.begin(), text.end(), '\n', ' ');
    return fmt::format("in step line {}: {}", event_field<std::int64_t>(step->json, "line", 0),
                       text);
}

}  // namespace

std::vector<ComparedEvent> compared_events(const TraceFile& trace,
                                           const TraceDiffOptions& options) {
    std::vector<ComparedEvent> out;
    out.reserve(trace.events.size());
    std::set<std::int64_t> guarded;  // scenario lines of guarded steps
    for (const auto& e : trace.events) {
        if (!is_step_line(e.json, "step")) continue;
        try {
            if (event_field<std::string>(e.json, "text", "").starts_with("["))
                guarded.insert(event_field<std::int64_t>(e.json, "line", 0));
        } catch (const TraceFieldError& x) {
            throw TraceFileError(
                fmt::format("trace: {}:{}: kind step: {}", trace.path, e.line, x.what()));
        }
    }
    if (options.exact) {
        for (const auto& e : trace.events) out.push_back({&e, nlohmann::json(e.text)});
        return out;
    }
    for (const auto& e : trace.events) {
        const auto& j = e.json;
        const bool step_line =
            is_step_line(j, "step") || is_step_line(j, "result") || is_step_line(j, "expect");
        if (step_line && j.contains("line") && j["line"].is_number_integer() &&
            guarded.contains(j["line"].get<std::int64_t>()))
            continue;
        nlohmann::json value = nlohmann::json::parse(e.text);
        if (is_step_line(j, "run")) value.erase("match");
        out.push_back({&e, std::move(value)});
    }
    return out;
}

std::optional<std::size_t> first_difference(const std::vector<ComparedEvent>& a,
                                            const std::vector<ComparedEvent>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
        if (a[i].value != b[i].value) return i;
    if (a.size() != b.size()) return n;
    return std::nullopt;
}

int diff_traces(const TraceFile& a, const TraceFile& b, const TraceDiffOptions& options,
                std::ostream& out) {
    const auto ca = compared_events(a, options), cb = compared_events(b, options);
    const auto at = first_difference(ca, cb);
    if (!at) {
        out << fmt::format(
            "identical: {} event{} compared ({}, {}){}\n", ca.size(), ca.size() == 1 ? "" : "s",
            a.path, b.path,
            options.exact ? "" : "; not compared: the run line's match, guarded steps");
        return 0;
    }
    const std::size_t i = *at;
    const TraceEvent* ea = i < ca.size() ? ca[i].event : nullptr;
    const TraceEvent* eb = i < cb.size() ? cb[i].event : nullptr;
    out << "--- " << describe(a) << "\n+++ " << describe(b) << "\n";

    auto where = [&](const TraceFile& t, const TraceEvent* e) {
        return e ? fmt::format("{}:{}", t.path, e->line)
                 : fmt::format("{} ended after {} events", t.path, t.events.size());
    };
    std::string stamp;
    if (ea && eb) {
        const auto ta = ea->json["t_us"].get<std::int64_t>(),
                   tb = eb->json["t_us"].get<std::int64_t>();
        stamp = ta == tb ? fmt::format(", t_us {}", ta) : fmt::format(", t_us {} | {}", ta, tb);
    }
    out << fmt::format("first divergence: {}, {}{}\n", where(a, ea), where(b, eb), stamp);
    const std::string step_a = step_of(a, ea ? ea->line : a.events.back().line);
    const std::string step_b = step_of(b, eb ? eb->line : b.events.back().line);
    if (step_a == step_b)
        out << step_a << "\n";
    else
        out << "A " << step_a << "\nB " << step_b << "\n";
    if (ea && eb && !options.exact)
        if (std::string f = differing_fields(ca[i].value, cb[i].value); !f.empty())
            out << "differs in: " << f << "\n";

    const std::size_t width =
        fmt::formatted_size("{}", std::max(a.events.back().line, b.events.back().line));
    const std::size_t from = i > options.context ? i - options.context : 0;
    for (std::size_t k = from; k < i; ++k)
        out << fmt::format("  {:>{}} {:>{}}  {}\n", ca[k].event->line, width, cb[k].event->line,
                           width, ca[k].event->text);
    const std::size_t after = options.context + 1;
    for (std::size_t k = i; k < std::min(ca.size(), i + after); ++k)
        out << fmt::format("- {:>{}} {:>{}}  {}\n", ca[k].event->line, width, "", width,
                           ca[k].event->text);
    for (std::size_t k = i; k < std::min(cb.size(), i + after); ++k)
        out << fmt::format("+ {:>{}} {:>{}}  {}\n", "", width, cb[k].event->line, width,
                           cb[k].event->text);
    return 1;
}

}  // namespace dmemu::scenario
