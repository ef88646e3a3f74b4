// SPDX-License-Identifier: GPL-2.0-only
// Background I/O: seeded writers and readers on one device that keep running while later steps
// run (a dm step, a swap, a server crash), so the interleaving of I/O with dm operations comes
// from the seed.
//
// A job has W writers and R readers. The device range is cut into W equal stripes (aligned to
// 8 sectors), one per writer, so no two writers ever overlap; each writer keeps one write in
// flight, sleeps a seeded think time, then writes a seeded length at a seeded offset in its
// stripe, `ops` times. Readers read seeded ranges anywhere in the range and check what they read
// against the record of writes (a stale or foreign sector is reported as a problem of the
// device, which `expect data-intact` reports). Each worker draws from its own named stream
// ("io:<job>:w0", "io:<job>:r1"), so adding a job or a worker never reshuffles another.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <string>

#include "emu/io/bio.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::scenario {

class World;

struct BackgroundSpec {
    std::string name = "bg";
    std::string device;
    unsigned writers = 1;
    unsigned readers = 0;
    std::uint64_t ops = 32;         // per worker
    std::uint64_t min_sectors = 8;  // per I/O
    std::uint64_t max_sectors = 8;
    emu::Duration think_min{};  // between two I/Os of one worker
    emu::Duration think_max = std::chrono::milliseconds(2);
    emu::Sector range_start = 0;  // sectors; range_len 0: to the end of the device
    std::uint64_t range_len = 0;
};

class BackgroundIo {
public:
    explicit BackgroundIo(World& world) : world_(world) {}
    ~BackgroundIo();

    // Starts the job's workers; an error text when the device or the range is unusable.
    std::string start(BackgroundSpec spec);
    // Workers of the job (or of every job: name empty) stop after their current I/O.
    void stop(const std::string& name);
    void stop_all() { stop({}); }
    // Power cut: every job is forgotten. Its workers stop, and one waiting for I/O waits for
    // ever on the machine that is off; active() no longer counts them.
    void abandon_all();
    // Workers still running (their ops not done, or an I/O outstanding).
    unsigned active(const std::string& name) const;
    bool exists(const std::string& name) const { return jobs_.count(name) != 0; }

private:
    struct Job;
    static boost::asio::awaitable<void> writer(World& world, std::shared_ptr<Job> job, unsigned i);
    static boost::asio::awaitable<void> reader(World& world, std::shared_ptr<Job> job, unsigned i);

    World& world_;
    std::map<std::string, std::shared_ptr<Job>> jobs_;
};

}  // namespace dmemu::scenario
