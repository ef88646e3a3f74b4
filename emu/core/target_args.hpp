// SPDX-License-Identifier: GPL-2.0-only
// Table-argument parsing shared by every target, with the kernel's rules: numbers parse as the
// kernel's `sscanf(arg, "%llu%c", &v, &dummy) == 1` (the whole word, decimal, optional leading
// whitespace and sign as sscanf allows) and `kstrtouint`, and dm_read_arg's [min, max] checks.
// Targets never call sscanf or stoul themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dmemu::emu {

// sscanf("%llu%c") == 1 semantics: the word is one unsigned decimal number with nothing after it.
std::optional<std::uint64_t> parse_ull(std::string_view word);
// sscanf("%u%c") == 1: as above, truncated to 32 bits as the kernel's %u would be.
std::optional<std::uint32_t> parse_uint(std::string_view word);
// kstrtouint(word, 10, &v): strict decimal, no sign, one trailing newline allowed, overflow fails.
std::optional<std::uint32_t> kstrtouint(std::string_view word);

// The kernel's struct dm_arg_set: a cursor over the remaining arguments.
class ArgSet {
public:
    explicit ArgSet(const std::vector<std::string>& args) : args_(args) {}
    std::size_t remaining() const { return args_.size() - pos_; }
    // dm_shift_arg: next argument or nullopt when none is left.
    std::optional<std::string_view> shift();
    // dm_read_arg: next argument as a number in [min, max]; on failure sets *error to `message`.
    std::optional<unsigned> read(unsigned min, unsigned max, const char* message, std::string* error);
    // dm_read_arg_group: a count in [min, max] that must not exceed the remaining arguments
    // ("Insufficient feature arguments" style error on overflow of remaining).
    std::optional<unsigned> read_group(unsigned min, unsigned max, const char* message,
                                       std::string* error);
    void consume(std::size_t n) { pos_ += n; }

private:
    const std::vector<std::string>& args_;
    std::size_t pos_ = 0;
};

}  // namespace dmemu::emu
