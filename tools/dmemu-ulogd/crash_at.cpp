// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu-ulogd/crash_at.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <csignal>

namespace dmemu::ulogd {

std::optional<CrashAt> parse_crash_at(std::string_view text, std::string* error) {
    const auto colon = text.find(':');
    const auto type = transfer::request_type_from_name(text.substr(0, colon));
    if (!type) {
        *error = "--crash-at: '" + std::string(text.substr(0, colon)) +
                 "' is not a request type (CTR, RESUME, ... or DM_ULOG_CTR, ...)";
        return std::nullopt;
    }
    CrashAt at{*type, 1};
    if (colon != std::string_view::npos) {
        const auto n = text.substr(colon + 1);
        const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), at.nth);
        if (ec != std::errc() || end != n.data() + n.size() || at.nth == 0) {
            *error = "--crash-at: '" + std::string(n) + "' is not a count (1, 2, ...)";
            return std::nullopt;
        }
    }
    return at;
}

std::function<void(std::span<const std::byte>)> make_crash_check(CrashAt at) {
    return [at, seen = 0u](std::span<const std::byte> message) mutable {
        const auto m = transfer::decode(message);
        if (!m || !m->req || m->req->type != at.type || ++seen != at.nth) return;
        spdlog::warn("dmemu-ulogd: --crash-at {}:{}: killing myself (seq {})",
                     transfer::short_name(at.type), at.nth, m->req->seq);
        spdlog::default_logger()->flush();
        std::raise(SIGKILL);
    };
}

}  // namespace dmemu::ulogd
