// SPDX-License-Identifier: GPL-2.0-only
// The text form of a block fault, and the one parser for it.
//
//   SPEC := KIND WORD...      WORD := KEY=VALUE | FLAG      e.g. "eio sectors=100-199 op=write
//   sticky"
//
// Values every kind reads the same way:
//   sectors=FIRST-LAST | sectors=SECTOR   inclusive, 512-byte sectors
//   op=LIST        comma list of read, write, flush, discard; "both" is read,write; "any" all four
//   p=P            probability in [0, 1] ("0.5", "1", "0")
//   durations      an integer with a unit: 250ns, 10us, 5ms, 2s
// A kind's factory takes what it knows from a SpecReader; a key given twice, a bad value or a
// word no one took is an error naming the kind and quoting the word, e.g.
// "fault: eio: unknown parameter 'bogus'", "fault: latency: bad duration '5xs'".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "emu/faults/fault.hpp"

namespace dmemu::emu {

struct FaultSpec {
    std::string kind;
    std::vector<std::pair<std::string, std::string>> params;  // key=value, in order
    std::vector<std::string> flags;                           // bare words, in order
};

// Splits the text; fails (with *error set) on an empty spec or a key given twice.
std::optional<FaultSpec> tokenize_fault_spec(std::string_view text, std::string* error);

class SpecReader {
public:
    explicit SpecReader(const FaultSpec& spec);

    const std::string& kind() const { return spec_.kind; }
    // The raw value of key, or nullopt when absent.
    std::optional<std::string_view> value(std::string_view key);
    bool flag(std::string_view name);

    // Typed values. When the key is absent: the fallback. When its value is bad: the fallback,
    // with the error recorded (check ok() before using what was read).
    IoMatch match(IoMatch fallback);
    double probability(std::string_view key, double fallback);
    // Absent or bad: nullopt (ok() tells them apart).
    std::optional<std::uint64_t> number(std::string_view key);

    // Records the first error as "fault: <kind>: <message>".
    void fail(const std::string& message);
    bool ok() const { return error_.empty(); }
    // Fails for any word no one took; returns ok().
    bool finish();
    const std::string& error() const { return error_; }

private:
    const FaultSpec& spec_;
    std::vector<bool> used_params_, used_flags_;
    std::string error_;
};

// "5ms", "10us", "2s", "250ns".
std::optional<Duration> parse_fault_duration(std::string_view text);

}  // namespace dmemu::emu
