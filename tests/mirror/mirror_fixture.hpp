// SPDX-License-Identifier: GPL-2.0-only
// The oracle guest in miniature: four 64 MiB RAM disks 1:0..1:3 (ram0..ram3, 131072 sectors),
// dm major 254, on the core fixture's virtual clock. Helpers read status lines the way dmsetup
// prints them and compare legs byte for byte.
#pragma once

#include "emu/io/memory_disk.hpp"
#include "tests/core/core_fixture.hpp"

#include <cstring>
#include <string>
#include <vector>

namespace dmemu::emu::testing {

class MirrorFixture : public CoreFixture {
protected:
    static constexpr Sector kDiskSectors = 131072;

    MirrorFixture() {
        for (std::uint32_t i = 0; i < 4; ++i)
            EXPECT_EQ(add_ram("ram" + std::to_string(i), kDiskSectors, DevT{1, i}).error, 0);
    }
    void TearDown() override {
        // Every dtr runs on the loop before the fixture goes (no coroutine outlives its target).
        run([this]() -> boost::asio::awaitable<int> {
            co_await dm_.shutdown();
            co_return 0;
        }());
    }

    // "0 65536 mirror ..." as `dmsetup status` / `dmsetup table` print one target.
    std::string line(const std::string& name, bool table) {
        auto r = status(name, table);
        EXPECT_EQ(r.error, 0);
        if (r.targets.size() != 1) return "<" + std::to_string(r.targets.size()) + " targets>";
        const auto& t = r.targets[0];
        return std::to_string(t.start) + " " + std::to_string(t.length) + " " + t.type + " " + t.params;
    }
    std::string status_line(const std::string& name) { return line(name, false); }
    std::string table_line(const std::string& name) { return line(name, true); }
    std::uint32_t event_nr(const std::string& name) { return info(name).info.event_nr; }
    DmReply remove(const std::string& name) { return simple(DmCommand::dev_remove, name); }

    MemoryDisk& ram(int i) {
        auto* d = dynamic_cast<MemoryDisk*>(dm_.find_disk("ram" + std::to_string(i)));
        EXPECT_NE(d, nullptr);
        return *d;
    }
    std::vector<std::byte> read_ram(int i, Sector sector, Sector sectors) {
        std::vector<std::byte> out(sectors * kSectorSize);
        ram(i).read_now(sector, out.data(), out.size());
        return out;
    }
    void fill_ram(int i, Sector sector, Sector sectors, unsigned char seed) {
        std::vector<std::byte> buf(sectors * kSectorSize);
        for (std::size_t k = 0; k < buf.size(); ++k) buf[k] = std::byte(static_cast<unsigned char>(seed + k * 7));
        ram(i).write_now(sector, buf.data(), buf.size());
    }
    // Kernel lines emitted by one step.
    template <typename F>
    std::vector<std::string> lines_of(F&& step) {
        const auto seq = klog_.last_seq();
        step();
        return kernel_lines_since(seq);
    }
};

}  // namespace dmemu::emu::testing
