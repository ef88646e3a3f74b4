// SPDX-License-Identifier: GPL-2.0-only
// Reading a scenario trace back (the JSON lines `dmemu run --trace` writes, docs/scenarios.md
// "The trace") for `dmemu trace export` and `dmemu trace diff`. Every line must be a JSON object
// with an integer "t_us" (0 to 100 years) and a string "kind"; anything else is an error naming
// the file and the line, so a truncated or hand-edited trace is reported, never half read. Blank
// lines are skipped (an editor's final newline), kinds are not checked: readers ignore kinds
// they do not know, so a newer trace still opens.
#pragma once

#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace dmemu::scenario {

struct TraceEvent {
    std::size_t line = 0;  // 1-based line of the file
    std::string text;      // the line as written
    nlohmann::ordered_json json;
};

struct TraceFile {
    std::string path;
    std::vector<TraceEvent> events;
};

// "trace: FILE:LINE: what was wrong", or "trace: cannot read 'FILE'".
class TraceFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A field of an event that is wrong: "\"seq\" is a string: \"x\"" (callers add FILE:LINE).
class TraceFieldError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The field `key` of an event as T, or `fallback` when it is absent or null. Throws
// TraceFieldError naming the field when it holds another type.
template <typename T>
T event_field(const nlohmann::ordered_json& event, const char* key, T fallback) {
    const auto it = event.find(key);
    if (it == event.end() || it->is_null()) return fallback;
    try {
        return it->template get<T>();
    } catch (const nlohmann::json::exception&) {
        std::string value = it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (value.size() > 40) value = value.substr(0, 37) + "...";
        throw TraceFieldError("\"" + std::string(key) + "\" is a " + it->type_name() + ": " +
                              value);
    }
}

// The events of `in`, named `path` in errors. Throws TraceFileError.
TraceFile parse_trace(std::istream& in, const std::string& path);
TraceFile read_trace(const std::string& path);

}  // namespace dmemu::scenario
