// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/trace_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace dmemu::scenario {

namespace {

constexpr std::int64_t kMaxMicroseconds = 100LL * 365 * 24 * 3600 * 1000 * 1000;

std::string check_event(const nlohmann::ordered_json& j) {
    if (!j.is_object()) {
        std::string value = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (value.size() > 40) value = value.substr(0, 37) + "...";
        return fmt::format("expected a JSON object, got {}", value);
    }
    const auto t = j.find("t_us");
    if (t == j.end()) return "no \"t_us\"";
    if (!t->is_number_integer()) return fmt::format("\"t_us\" is not an integer: {}", t->dump());
    // Exporters count nanoseconds in 64 bits: 100 years of virtual time is plenty.
    if (t->get<std::int64_t>() < 0 || t->get<std::int64_t>() > kMaxMicroseconds)
        return fmt::format("\"t_us\" is out of range: {}", t->dump());
    const auto k = j.find("kind");
    if (k == j.end()) return "no \"kind\"";
    if (!k->is_string()) return fmt::format("\"kind\" is not a string: {}", k->dump());
    return {};
}

}  // namespace

TraceFile parse_trace(std::istream& in, const std::string& path) {
    TraceFile trace;
    trace.path = path;
    std::size_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        TraceEvent e;
        e.line = number;
        try {
            e.json = nlohmann::ordered_json::parse(line);
        } catch (const nlohmann::json::parse_error& x) {
            // nlohmann's text starts "[json.exception.parse_error.101] parse error at line 1, ...".
            std::string what = x.what();
            if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
            throw TraceFileError(fmt::format("trace: {}:{}: not JSON: {}", path, number, what));
        }
        if (std::string bad = check_event(e.json); !bad.empty())
            throw TraceFileError(fmt::format("trace: {}:{}: {}", path, number, bad));
        e.text = std::move(line);
        trace.events.push_back(std::move(e));
    }
    if (in.bad()) throw TraceFileError(fmt::format("trace: cannot read '{}'", path));
    if (trace.events.empty()) throw TraceFileError(fmt::format("trace: {}: no events", path));
    return trace;
}

TraceFile read_trace(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw TraceFileError(
            fmt::format("trace: cannot read '{}': {}", path, std::strerror(EISDIR)));
    std::ifstream in(path);
    if (!in)
        throw TraceFileError(
            fmt::format("trace: cannot read '{}': {}", path, std::strerror(errno)));
    return parse_trace(in, path);
}

}  // namespace dmemu::scenario
