// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/dm_command.hpp"

#include "tools/dmsetup/dmsetup.hpp"

namespace dmemu::scenario {

std::string shell_join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        const bool plain =
            !w.empty() && w.find_first_of(" \t'\"\\$#*?[]|&;<>()") == std::string::npos;
        if (plain) {
            out += w;
            continue;
        }
        out += '\'';
        for (char c : w) {
            if (c == '\'')
                out += "'\\''";
            else
                out += c;
        }
        out += '\'';
    }
    return out;
}

std::string chomp(std::string s) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

asio::awaitable<DmOutcome> run_dm(World& world, std::vector<std::string> argv) {
    const std::string command = shell_join(argv);
    auto r = co_await dmsetup::run_dmsetup(world.channel(), std::move(argv), std::string());
    auto& trace = world.trace();
    if (trace.enabled()) {
        Json j = trace.event("dm");
        j["cmd"] = command;
        j["exit"] = r.exit_code;
        if (!r.out.empty()) j["out"] = printable(r.out);
        if (!r.err.empty()) j["err"] = printable(r.err);
        trace.emit(j);
    }
    co_return DmOutcome{r.exit_code, std::move(r.out), std::move(r.err)};
}

}  // namespace dmemu::scenario
