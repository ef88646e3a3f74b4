// SPDX-License-Identifier: GPL-2.0-only
// Mirror tests on the oracle guest in miniature (oracle_guest_fixture.hpp): helpers read status
// lines the way dmsetup prints them (running the clock until idle) and compare legs.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "tests/core/oracle_guest_fixture.hpp"

namespace dmemu::emu::testing {

class MirrorFixture : public OracleGuestFixture {
protected:
    // "0 65536 mirror ..." as `dmsetup status` / `dmsetup table` print one target.
    std::string line(const std::string& name, bool table) {
        auto r = status(name, table);
        EXPECT_EQ(r.error, 0);
        if (r.targets.size() != 1) return "<" + std::to_string(r.targets.size()) + " targets>";
        const auto& t = r.targets[0];
        return std::to_string(t.start) + " " + std::to_string(t.length) + " " + t.type + " " +
               t.params;
    }
    std::string status_line(const std::string& name) { return line(name, false); }
    std::string table_line(const std::string& name) { return line(name, true); }
    std::uint32_t event_nr(const std::string& name) { return info(name).info.event_nr; }

    // Kernel lines emitted by one step.
    template <typename F>
    std::vector<std::string> lines_of(F&& step) {
        const auto seq = klog_.last_seq();
        step();
        return kernel_lines_since(seq);
    }
};

}  // namespace dmemu::emu::testing
