// SPDX-License-Identifier: GPL-2.0-only
// `dmemu sweep FILE --seeds A..B [--jobs N] [--match MODE] [--json]`: run one scenario for many
// seeds in N worker processes (fork: each worker runs its share of the seeds in turn, each in a
// fresh world, and reports one line per seed through a pipe). Progress goes to stderr; every
// failure is printed with its seed, the first failed expectation and the exact `dmemu run`
// command that replays it. --json prints one JSON object per seed and a final summary object on
// stdout instead, so a batch scheduler can shard seed ranges over machines and merge the lines.
// A worker that dies (a crash is a bug too) is reported with the seed it was running, and a new
// worker takes over the rest of its share. With a fault plan, the end adds the fault matrix: how
// many times each fault fired over all seeds (and in how many seeds), and how many expectations
// were checked and failed.
//
// --shard K/N runs only the seeds of shard K of N (sweep_result.hpp: seed s is in shard
// ((s - A) mod N) + 1), and --result OUT.json writes the run's result file; `--merge R1 R2 ...`
// checks that result files belong together and prints the summary the unsharded sweep prints.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "emu/sim/sweep_result.hpp"
#include "logs/userspace/log_server.hpp"

namespace dmemu::scenario {

struct SweepOptions {
    std::string file;
    std::uint64_t first = 0, last = 0;  // inclusive
    unsigned jobs = 1;
    logs::MatchMode match = logs::MatchMode::uuid_luid;
    bool json = false;
    bool progress = true;  // on stderr
    std::string plan;      // a fault plan file (--faults), or empty
    Shard shard;           // --shard K/N: only these seeds of first..last
    std::string result;    // --result OUT.json, or empty
};

// "A..B" (inclusive) or "N"; nullopt when malformed or B < A.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text);

// Exit status: 0 every seed passed, 1 some failed, 2 bad input.
int sweep(const SweepOptions& options, std::ostream& out, std::ostream& err);

// `dmemu sweep --merge FILES...`: the summary of the sweep the result files make up together, as
// the unsharded sweep prints it (failures in seed order; seconds and seeds/s of the slowest
// shard, jobs summed). Exit status: 0 every seed passed, 1 some failed, 2 the files do not merge
// (the message says why and which files and seeds) or cannot be read.
int merge_sweep_results(const std::vector<std::string>& files, bool json, std::ostream& out,
                        std::ostream& err);

}  // namespace dmemu::scenario
