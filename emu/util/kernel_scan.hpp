// SPDX-License-Identifier: GPL-2.0-only
// The kernel's number parsing, for whole table words, in one place: every target's and dirty
// log's constructor reads its numbers through these, never with sscanf, stoul or their own loops.
//
// kernel_scan_ull / kernel_scan_u are lib/vsprintf.c vsscanf with "%llu%c" / "%u%c" == 1: what
// linear, striped, mirror (offsets, mirror and log argument counts, feature count), dm-log's
// region size, flakey, delay and dust read. Optional leading white space, then at least one
// decimal digit; no sign is accepted for an unsigned conversion ("-1" and "+1" fail); the value
// wraps modulo 2^64 (simple_strntoull does not stop on overflow) and "%u" keeps the low 32 bits,
// so "4294967296" reads as 0 (the t32/t33 captures show both). dm_read_arg
// (drivers/md/dm-table.c validate_next_arg) reads its number with the same "%u%c".
//
// kernel_kstrtouint is lib/kstrtox.c kstrtouint(s, 10, &v): what striped (stripes, chunk size)
// and dust (block size) read. Different rules: one leading '+' is accepted, no white space, one
// trailing newline, and overflow fails (-ERANGE) instead of wrapping.
//
// dmsetup's own parsing of a table line's start and length is glibc's sscanf, which accepts a
// sign: that is userspace's, in emu/core/table_spec.cpp, not here.
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmemu::emu {

// sscanf(word, "%llu%c", &v, &dummy) == 1.
inline std::optional<std::uint64_t> kernel_scan_ull(std::string_view word) {
    std::size_t i = 0;
    while (i < word.size() && std::isspace(static_cast<unsigned char>(word[i]))) ++i;
    const std::size_t first = i;
    std::uint64_t v = 0;
    while (i < word.size() && std::isdigit(static_cast<unsigned char>(word[i])))
        v = v * 10 + static_cast<std::uint64_t>(word[i++] - '0');
    if (i == first || i != word.size()) return std::nullopt;
    return v;
}

// sscanf(word, "%u%c", &v, &dummy) == 1.
inline std::optional<std::uint32_t> kernel_scan_u(std::string_view word) {
    const auto v = kernel_scan_ull(word);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
}

// kstrtouint(word, 10, &v) == 0.
inline std::optional<std::uint32_t> kernel_kstrtouint(std::string_view word) {
    if (!word.empty() && word.front() == '+') word.remove_prefix(1);
    if (!word.empty() && word.back() == '\n') word.remove_suffix(1);
    if (word.empty()) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : word) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
        if (v > 0xffffffffu) return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

// The kernel's struct dm_arg_set with dm_shift_arg and dm_read_arg / dm_read_arg_group.
class KernelArgs {
public:
    explicit KernelArgs(const std::vector<std::string>& argv) : argv_(argv) {}

    std::size_t remaining() const { return argv_.size() - pos_; }
    // dm_shift_arg: the next word, or nullopt when none is left.
    std::optional<std::string_view> shift() {
        if (pos_ >= argv_.size()) return std::nullopt;
        return std::string_view(argv_[pos_++]);
    }
    // dm_read_arg: the next word as "%u" in [min, max], else *error = message. The word is
    // consumed either way, as dm_shift_arg does.
    std::optional<std::uint32_t> read(std::uint32_t min, std::uint32_t max, const char* message,
                                      std::string* error) {
        const auto word = shift();
        const auto v = word ? kernel_scan_u(*word) : std::nullopt;
        if (!v || *v < min || *v > max) {
            *error = message;
            return std::nullopt;
        }
        return v;
    }
    // dm_read_arg_group: as read(), and the count may not exceed the words left after it.
    std::optional<std::uint32_t> read_group(std::uint32_t min, std::uint32_t max,
                                            const char* message, std::string* error) {
        const auto v = read(min, max, message, error);
        if (v && *v > remaining()) {
            *error = message;
            return std::nullopt;
        }
        return v;
    }

private:
    const std::vector<std::string>& argv_;
    std::size_t pos_ = 0;
};

}  // namespace dmemu::emu
