// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/mirror_status.hpp"

#include <charconv>
#include <sstream>

namespace dmemu::scenario {

namespace {

std::vector<std::string> words_of(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::optional<std::uint64_t> num(const std::string& s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

std::vector<MirrorSync> mirror_sync(const std::vector<emu::DmTargetLine>& info) {
    std::vector<MirrorSync> out;
    for (const auto& t : info) {
        if (t.type != "mirror") continue;
        auto w = words_of(t.params);
        auto legs = w.empty() ? std::nullopt : num(w[0]);
        if (!legs || w.size() < *legs + 2) continue;
        const auto& frac = w[*legs + 1];
        const auto slash = frac.find('/');
        if (slash == std::string::npos) continue;
        auto a = num(frac.substr(0, slash));
        auto b = num(frac.substr(slash + 1));
        if (a && b) out.push_back(MirrorSync{t.start, t.length, *a, *b});
    }
    return out;
}

std::optional<std::vector<MirrorLayout>> mirror_layout(
    const std::vector<emu::DmTargetLine>& table) {
    std::vector<MirrorLayout> out;
    for (const auto& t : table) {
        if (t.type != "mirror") continue;
        auto w = words_of(t.params);
        // <log type> <#log args> <log args...> <#legs> (<dev> <offset>){#legs} ...
        if (w.size() < 2) return std::nullopt;
        auto nlog = num(w[1]);
        if (!nlog || w.size() < 3 + *nlog) return std::nullopt;
        MirrorLayout m{t.start, t.length, 0, {}};
        std::vector<std::string> log(w.begin() + 2,
                                     w.begin() + 2 + static_cast<std::ptrdiff_t>(*nlog));
        // Region size: core <rs>; disk <dev> <rs>; userspace <uuid> [integrated_flush]
        // clustered-core <rs> | clustered-disk <dev> <rs>.
        std::size_t at = 0;
        if (w[0] == "disk") at = 1;
        if (w[0] == "userspace") {
            at = 1;
            if (at < log.size() && log[at] == "integrated_flush") ++at;
            if (at < log.size() && log[at] == "clustered-disk")
                at += 2;
            else
                ++at;
        }
        if (at < log.size())
            if (auto rs = num(log[at])) m.region_size = *rs;
        std::size_t pos = 2 + *nlog;
        auto nlegs = num(w[pos]);
        if (!nlegs || w.size() < pos + 1 + 2 * *nlegs) return std::nullopt;
        for (std::uint64_t i = 0; i < *nlegs; ++i) {
            auto off = num(w[pos + 2 + 2 * i]);
            if (!off) return std::nullopt;
            m.legs.push_back(MirrorLeg{w[pos + 1 + 2 * i], *off});
        }
        out.push_back(std::move(m));
    }
    return out;
}

}  // namespace dmemu::scenario
