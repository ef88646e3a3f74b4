// SPDX-License-Identifier: GPL-2.0-only
// Test helpers for block I/O: recognisable data, and a bio submitted to any BlockDevice whose
// completion (error, virtual time) a test inspects while it steps time by hand. Shared by the
// target, mirror and fault suites.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "emu/io/block_device.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::emu::testing {

// seed + 7 * offset, byte by byte.
inline std::vector<std::byte> test_pattern(Sector sectors, unsigned char seed) {
    std::vector<std::byte> buf(sectors * kSectorSize);
    for (std::size_t k = 0; k < buf.size(); ++k)
        buf[k] = std::byte(static_cast<unsigned char>(seed + k * 7));
    return buf;
}

// A bio in flight: its buffer, and once done its error and the virtual time it completed.
struct PendingBio {
    std::vector<std::byte> buf;
    std::optional<int> err;
    TimePoint at{};
};

// Writes carry test_pattern(sectors, seed); reads fill buf; a flush has no data.
inline std::shared_ptr<PendingBio> submit_pending(BlockDevice& dev, Clock& clock, BioOp op,
                                                  Sector sector, Sector sectors,
                                                  unsigned char seed = 0, bool fua = false) {
    auto p = std::make_shared<PendingBio>();
    p->buf = op == BioOp::write ? test_pattern(sectors, seed)
                                : std::vector<std::byte>(sectors * kSectorSize);
    Bio bio;
    bio.op = op;
    bio.sector = sector;
    bio.sectors = op == BioOp::flush ? 0 : sectors;
    bio.data = op == BioOp::flush ? nullptr : p->buf.data();
    bio.fua = fua;
    bio.done = [&clock, p](int err) {
        p->err = err;
        p->at = clock.now();
    };
    dev.submit(std::move(bio));
    return p;
}

}  // namespace dmemu::emu::testing
