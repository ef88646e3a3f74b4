// SPDX-License-Identifier: GPL-2.0-only
// The oracle guest in miniature: four 64 MiB RAM disks ram0..ram3 (1:0..1:3, 131072 sectors),
// dm major 254, on the core fixture's virtual clock; every dtr runs before the fixture goes.
// Helpers reach the RAM disks directly. Shared by the mirror and target suites.
#pragma once

#include <string>
#include <vector>

#include "emu/faults/faulty_disk.hpp"
#include "emu/io/memory_disk.hpp"
#include "tests/core/core_fixture.hpp"
#include "tests/io/pending_bio.hpp"

namespace dmemu::emu::testing {

class OracleGuestFixture : public CoreFixture {
protected:
    static constexpr Sector kDiskSectors = 131072;

    OracleGuestFixture() {
        for (std::uint32_t i = 0; i < 4; ++i)
            EXPECT_EQ(add_ram("ram" + std::to_string(i), kDiskSectors, DevT{1, i}).error, 0);
    }
    void TearDown() override {
        // No coroutine outlives its target.
        run([this]() -> boost::asio::awaitable<int> {
            co_await dm_.shutdown();
            co_return 0;
        }());
    }

    DmReply remove(const std::string& name) { return simple(DmCommand::dev_remove, name); }

    MemoryDisk& ram(int i) {
        FaultyDisk* d = dm_.find_faulty_disk("ram" + std::to_string(i));
        EXPECT_NE(d, nullptr);
        return dynamic_cast<MemoryDisk&>(d->media());
    }
    std::vector<std::byte> read_ram(int i, Sector sector, Sector sectors) {
        std::vector<std::byte> out(sectors * kSectorSize);
        ram(i).read_now(sector, out.data(), out.size());
        return out;
    }
    static std::vector<std::byte> pattern(Sector sectors, unsigned char seed) {
        return test_pattern(sectors, seed);
    }
    void fill_ram(int i, Sector sector, Sector sectors, unsigned char seed) {
        auto buf = pattern(sectors, seed);
        ram(i).write_now(sector, buf.data(), buf.size());
    }
};

}  // namespace dmemu::emu::testing
