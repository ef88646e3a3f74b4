// SPDX-License-Identifier: GPL-2.0-only
#include "emu/util/kernel_log.hpp"

#include <spdlog/spdlog.h>

namespace dmemu::emu {

void KernelLog::emit(KernelLevel level, std::string_view prefix, std::string_view text) {
    KernelLine line{next_seq_++, level, fmt::format("device-mapper: {}: {}", prefix, text)};
    if (echo_) {
        switch (level) {
            case KernelLevel::err:
                spdlog::error("kernel: {}", line.text);
                break;
            case KernelLevel::warn:
                spdlog::warn("kernel: {}", line.text);
                break;
            case KernelLevel::info:
                spdlog::info("kernel: {}", line.text);
                break;
        }
    }
    for (auto& fn : observers_) fn(line);
    lines_.push_back(std::move(line));
    while (lines_.size() > capacity_) lines_.pop_front();
}

std::vector<KernelLine> KernelLog::since(std::uint64_t after) const {
    std::vector<KernelLine> out;
    for (const auto& l : lines_)
        if (l.seq > after) out.push_back(l);
    return out;
}

}  // namespace dmemu::emu
