// SPDX-License-Identifier: GPL-2.0-only
// Scenario block I/O on a named device: writes carry the run's pattern (pattern.hpp) and are
// recorded in the DataModel; reads can be checked against it. Every completion goes into the
// trace as one "io" line (device, op, range, result, origin, write id). Buffers live until the
// bio completes, however late: a held write may complete long after the step that issued it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "emu/sim/world.hpp"

namespace dmemu::scenario {

struct IoRequest {
    std::string device;
    emu::Sector sector = 0;
    std::uint64_t sectors = 0;
    std::string origin;  // "line 30", "bg.w1"
};

struct Mismatch {
    emu::Sector sector = 0;
    SectorContent found;
    std::string expected;  // DataModel::describe_allowed
};

// done(err) once the write completes; -ENODEV at once (on the loop) for an unknown device.
void submit_write(World& world, const IoRequest& io, std::function<void(int)> done);
// done(err, mismatches): with verify, every sector read is checked against the data model
// (what it held when the read was submitted, or was written since).
void submit_read(World& world, const IoRequest& io, bool verify,
                 std::function<void(int, std::vector<Mismatch>)> done);

asio::awaitable<int> write_and_wait(World& world, IoRequest io);
asio::awaitable<std::pair<int, std::vector<Mismatch>>> read_and_wait(World& world, IoRequest io,
                                                                     bool verify);
// Reads a device's sectors into memory (legs-identical, data-intact); error on failure.
asio::awaitable<int> read_raw(World& world, const std::string& device, emu::Sector sector,
                              std::uint64_t sectors, std::vector<std::byte>* out);

std::string errno_name(int err);  // -5 -> "-EIO"

}  // namespace dmemu::scenario
