// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/trace.hpp"

#include <fmt/format.h>

namespace dmemu::scenario {

Json Trace::event(std::string_view kind) const {
    Json j;
    j["t_us"] = now_us();
    j["kind"] = kind;
    return j;
}

std::int64_t Trace::now_us() const {
    const auto t = clock_ ? clock_->now().time_since_epoch() : emu::Duration{};
    return std::chrono::duration_cast<std::chrono::microseconds>(t).count();
}

void Trace::emit(const Json& event) {
    if (!sink_) return;
    ++lines_;
    sink_(event.dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string printable(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f)
            out.push_back(static_cast<char>(c));
        else if (c == '\n')
            out += "\\n";
        else
            out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

}  // namespace dmemu::scenario
