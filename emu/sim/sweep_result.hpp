// SPDX-License-Identifier: GPL-2.0-only
// Sweep shards and their result files (`dmemu sweep ... --shard K/N --result OUT.json`, and
// `dmemu sweep --merge R1.json R2.json ...`).
//
// A shard is a deterministic split of a seed range A..B into N parts: seed s belongs to shard
// ((s - A) mod N) + 1. Shard K therefore runs A+K-1, A+K-1+N, A+K-1+2N, ... up to B; the shards
// of one range are disjoint and together cover it, whatever N is (a shard may be empty when N
// exceeds the number of seeds).
//
// A result file is one JSON object:
//   {"format":"dmemu-sweep-result 1",
//    "file":"fixtures/scenarios/pvmove-swap.scn","file_hash":"fnv1a64:...",
//    "plan":"...","plan_hash":"fnv1a64:..." (both null without --faults),
//    "match":"uuid","seeds":{"first":A,"last":B},"shard":{"index":K,"count":N},
//    "jobs":2,"seconds":1.5,
//    "totals":{"seeds":..,"passed":..,"failed":..,"expectations":..,"failed_expectations":..},
//    "faults":{"WHERE KIND":{"fired":N,"seeds":M}, ...},
//    "results":[{"seed":s,"passed":bool,"failures":n,"expectations":n,"failed_expectations":n,
//                "faults":{...} (when any fired),"first_failure":{"at","step","message"}
//                (when failed)}, ...]}
// `results` is what a merge reads; `totals` and `faults` are for readers of one file, and a
// merge checks `totals.seeds` against `results` to catch a truncated file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::scenario {

struct Shard {
    std::uint64_t index = 1;  // 1-based, 1..count
    std::uint64_t count = 1;
};

// "K/N" with 1 <= K <= N; nullopt when malformed.
std::optional<Shard> parse_shard(const std::string& text);

// The first seed of the shard in first..last, or nullopt when the shard is empty.
std::optional<std::uint64_t> shard_first_seed(std::uint64_t first, std::uint64_t last,
                                              const Shard& shard);
// How many seeds of first..last the shard runs.
std::uint64_t shard_seed_count(std::uint64_t first, std::uint64_t last, const Shard& shard);
// Whether seed (in first..last) belongs to the shard.
bool in_shard(std::uint64_t seed, std::uint64_t first, const Shard& shard);

struct SweepResult {
    std::string path;  // where it was read from (for messages)
    std::string file, file_hash;
    std::optional<std::string> plan, plan_hash;
    std::string match;
    std::uint64_t first = 0, last = 0;
    Shard shard;
    unsigned jobs = 1;
    double seconds = 0;
    std::vector<nlohmann::json> results;  // one object per seed, in any order
};

nlohmann::json to_json(const SweepResult& r);
// Reads and checks a result file; throws std::runtime_error naming the file and what is wrong.
SweepResult read_sweep_result(const std::string& path);
// Throws std::runtime_error when the file cannot be written.
void write_sweep_result(const std::string& path, const SweepResult& r);

// The checks of a merge: every file of the same scenario (path and hash), match mode and plan
// (path and hash); no seed in two files; no seed of the merged range (the least first .. the
// greatest last) in none. Returns the first problem found, in words naming the files and the
// seeds, or nullopt when the files merge.
std::optional<std::string> merge_problem(const std::vector<SweepResult>& results);

}  // namespace dmemu::scenario
