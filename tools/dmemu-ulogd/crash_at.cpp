// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu-ulogd/crash_at.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <csignal>

namespace dmemu::ulogd {

namespace {

class CrashHook final : public transfer::MessageHook {
public:
    explicit CrashHook(CrashAt at) : at_(at) {}

    void on_message(transfer::Direction direction, std::vector<std::byte> message,
                    Forward forward) override {
        if (direction == transfer::Direction::to_userspace) {
            const auto m = transfer::decode(message);
            if (m && m->req && m->req->type == at_.type && ++seen_ == at_.nth) {
                spdlog::warn("dmemu-ulogd: --crash-at {}:{}: killing myself (seq {})",
                             transfer::short_name(at_.type), at_.nth, m->req->seq);
                spdlog::default_logger()->flush();
                std::raise(SIGKILL);
            }
        }
        forward(std::move(message));
    }

private:
    CrashAt at_;
    unsigned seen_ = 0;
};

}  // namespace

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

std::shared_ptr<transfer::MessageHook> make_crash_hook(CrashAt at) {
    return std::make_shared<CrashHook>(at);
}

}  // namespace dmemu::ulogd
