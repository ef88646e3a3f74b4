// SPDX-License-Identifier: GPL-2.0-only
// What `dmesg` would show: the kernel's DMERR/DMWARN/DMINFO lines, kept in a ring buffer that
// `dmemu-setup dmesg` prints, and logged once through spdlog as they are emitted.
//
// A line is "device-mapper: <prefix>: <text>" exactly as the kernel's DM_MSG_PREFIX macros build
// it (e.g. prefix "table", text "254:0: linear: Device lookup failed").
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace dmemu::emu {

enum class KernelLevel { err, warn, info };

struct KernelLine {
    std::uint64_t seq;  // 1, 2, ... in emission order; survives ring-buffer eviction
    KernelLevel level;
    std::string text;  // the full line, "device-mapper: ..."
};

class KernelLog {
public:
    explicit KernelLog(std::size_t capacity = 4096) : capacity_(capacity) {}

    void emit(KernelLevel level, std::string_view prefix, std::string_view text);
    template <typename... Args>
    void err(std::string_view prefix, fmt::format_string<Args...> f, Args&&... args) {
        emit(KernelLevel::err, prefix, fmt::format(f, std::forward<Args>(args)...));
    }
    template <typename... Args>
    void warn(std::string_view prefix, fmt::format_string<Args...> f, Args&&... args) {
        emit(KernelLevel::warn, prefix, fmt::format(f, std::forward<Args>(args)...));
    }
    template <typename... Args>
    void info(std::string_view prefix, fmt::format_string<Args...> f, Args&&... args) {
        emit(KernelLevel::info, prefix, fmt::format(f, std::forward<Args>(args)...));
    }

    // Lines with seq > after, oldest first.
    std::vector<KernelLine> since(std::uint64_t after) const;
    std::uint64_t last_seq() const { return next_seq_ - 1; }
    // Observers (a scenario trace, a test) see every line as it is emitted.
    void subscribe(std::function<void(const KernelLine&)> fn) {
        observers_.push_back(std::move(fn));
    }
    // When false, lines are not also written through spdlog (tests keep their output clean).
    void set_echo(bool on) { echo_ = on; }

private:
    std::size_t capacity_;
    std::uint64_t next_seq_ = 1;
    bool echo_ = true;
    std::deque<KernelLine> lines_;
    std::vector<std::function<void(const KernelLine&)>> observers_;
};

}  // namespace dmemu::emu
