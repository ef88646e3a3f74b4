// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/sweep_result.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>

namespace dmemu::scenario {

namespace {

using nlohmann::json;

constexpr std::string_view kFormat = "dmemu-sweep-result 1";

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string shard_str(const SweepResult& r) {
    return fmt::format("shard {}/{} of {}..{}", r.shard.index, r.shard.count, r.first, r.last);
}

std::string plan_str(const SweepResult& r) {
    return r.plan ? fmt::format("{} {}", *r.plan, r.plan_hash.value_or("")) : "no fault plan";
}

// "3, 6, 9, 12, 15, ..." from a sorted list.
std::string list_seeds(const std::vector<std::uint64_t>& seeds, std::uint64_t total) {
    std::string s;
    for (std::size_t i = 0; i < seeds.size(); ++i) s += (i ? ", " : "") + std::to_string(seeds[i]);
    if (total > seeds.size()) s += ", ...";
    return s;
}

}  // namespace

std::optional<Shard> parse_shard(const std::string& text) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) return std::nullopt;
    auto k = parse_u64(std::string_view(text).substr(0, slash));
    auto n = parse_u64(std::string_view(text).substr(slash + 1));
    if (!k || !n || *k < 1 || *k > *n) return std::nullopt;
    return Shard{*k, *n};
}

std::optional<std::uint64_t> shard_first_seed(std::uint64_t first, std::uint64_t last,
                                              const Shard& shard) {
    if (shard.index - 1 > last - first) return std::nullopt;
    return first + (shard.index - 1);
}

std::uint64_t shard_seed_count(std::uint64_t first, std::uint64_t last, const Shard& shard) {
    const auto start = shard_first_seed(first, last, shard);
    if (!start) return 0;
    return (last - *start) / shard.count + 1;
}

bool in_shard(std::uint64_t seed, std::uint64_t first, const Shard& shard) {
    return seed >= first && (seed - first) % shard.count == shard.index - 1;
}

json to_json(const SweepResult& r) {
    std::uint64_t passed = 0, expectations = 0, failed_expectations = 0;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> faults;  // fired, seeds
    for (const auto& s : r.results) {
        passed += s.value("passed", false) ? 1 : 0;
        expectations += s.value("expectations", std::uint64_t{0});
        failed_expectations += s.value("failed_expectations", std::uint64_t{0});
        if (s.contains("faults"))
            for (const auto& [what, n] : s["faults"].items()) {
                faults[what].first += n.get<std::uint64_t>();
                ++faults[what].second;
            }
    }
    json j;
    j["format"] = kFormat;
    j["file"] = r.file;
    j["file_hash"] = r.file_hash;
    j["plan"] = r.plan ? json(*r.plan) : json(nullptr);
    j["plan_hash"] = r.plan_hash ? json(*r.plan_hash) : json(nullptr);
    j["match"] = r.match;
    j["seeds"] = {{"first", r.first}, {"last", r.last}};
    j["shard"] = {{"index", r.shard.index}, {"count", r.shard.count}};
    j["jobs"] = r.jobs;
    j["seconds"] = r.seconds;
    j["totals"] = {{"seeds", r.results.size()},
                   {"passed", passed},
                   {"failed", r.results.size() - passed},
                   {"expectations", expectations},
                   {"failed_expectations", failed_expectations}};
    j["faults"] = json::object();
    for (const auto& [what, n] : faults)
        j["faults"][what] = {{"fired", n.first}, {"seeds", n.second}};
    j["results"] = r.results;
    return j;
}

void write_sweep_result(const std::string& path, const SweepResult& r) {
    std::ofstream out(path);
    if (out) out << to_json(r).dump() << "\n";
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("sweep: cannot write result file '{}'", path));
}

SweepResult read_sweep_result(const std::string& path) {
    auto bad = [&](const std::string& what) {
        return std::runtime_error(fmt::format("sweep: {}: {}", path, what));
    };
    std::ifstream in(path);
    if (!in) throw bad("cannot read");
    json j;
    try {
        j = json::parse(in);
    } catch (const json::exception& e) {
        throw bad(fmt::format("not JSON: {}", e.what()));
    }
    if (!j.is_object() || j.value("format", std::string()) != kFormat)
        throw bad(fmt::format("not a sweep result (no \"format\": \"{}\")", kFormat));
    SweepResult r;
    r.path = path;
    try {
        r.file = j.at("file").get<std::string>();
        r.file_hash = j.at("file_hash").get<std::string>();
        if (!j.at("plan").is_null()) r.plan = j["plan"].get<std::string>();
        if (!j.at("plan_hash").is_null()) r.plan_hash = j["plan_hash"].get<std::string>();
        r.match = j.at("match").get<std::string>();
        r.first = j.at("seeds").at("first").get<std::uint64_t>();
        r.last = j.at("seeds").at("last").get<std::uint64_t>();
        r.shard.index = j.at("shard").at("index").get<std::uint64_t>();
        r.shard.count = j.at("shard").at("count").get<std::uint64_t>();
        r.jobs = j.at("jobs").get<unsigned>();
        r.seconds = j.at("seconds").get<double>();
        const auto total = j.at("totals").at("seeds").get<std::uint64_t>();
        for (const auto& s : j.at("results")) {
            s.at("seed").get<std::uint64_t>();
            s.at("passed").get<bool>();
            r.results.push_back(s);
        }
        if (total != r.results.size())
            throw bad(fmt::format("totals.seeds is {} but {} results follow (truncated?)", total,
                                  r.results.size()));
    } catch (const json::exception& e) {
        throw bad(fmt::format("bad field: {}", e.what()));
    }
    if (r.last < r.first || r.shard.index < 1 || r.shard.index > r.shard.count)
        throw bad(fmt::format("bad seeds or shard: {}", shard_str(r)));
    for (const auto& s : r.results) {
        const auto seed = s["seed"].get<std::uint64_t>();
        if (seed < r.first || seed > r.last || !in_shard(seed, r.first, r.shard))
            throw bad(fmt::format("seed {} is not in its {}", seed, shard_str(r)));
    }
    return r;
}

std::optional<std::string> merge_problem(const std::vector<SweepResult>& rs) {
    if (rs.empty()) return "no result files to merge";
    const SweepResult& a = rs.front();
    for (const auto& b : rs) {
        if (b.file != a.file || b.file_hash != a.file_hash)
            return fmt::format("{} and {} are of different scenarios: {} {} and {} {}", a.path,
                               b.path, a.file, a.file_hash, b.file, b.file_hash);
        if (b.match != a.match)
            return fmt::format("{} and {} are of different match modes: {} and {}", a.path, b.path,
                               a.match, b.match);
        if (b.plan != a.plan || b.plan_hash != a.plan_hash)
            return fmt::format("{} and {} are of different fault plans: {} and {}", a.path, b.path,
                               plan_str(a), plan_str(b));
    }
    // Every seed with the file it came from, sorted: overlaps are neighbours, gaps are missing.
    std::vector<std::pair<std::uint64_t, std::size_t>> seeds;
    std::uint64_t first = a.first, last = a.last;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        first = std::min(first, rs[i].first);
        last = std::max(last, rs[i].last);
        for (const auto& s : rs[i].results) seeds.emplace_back(s["seed"].get<std::uint64_t>(), i);
    }
    std::sort(seeds.begin(), seeds.end());
    constexpr std::size_t kShown = 5;
    for (std::size_t i = 1; i < seeds.size(); ++i) {
        if (seeds[i].first != seeds[i - 1].first) continue;
        const std::size_t x = seeds[i - 1].second, y = seeds[i].second;
        std::vector<std::uint64_t> both;
        std::uint64_t n = 0;
        for (std::size_t k = 1; k < seeds.size(); ++k)
            if (seeds[k].first == seeds[k - 1].first && seeds[k - 1].second == x &&
                seeds[k].second == y && n++ < kShown)
                both.push_back(seeds[k].first);
        return fmt::format("{} seed{} in both {} ({}) and {} ({}): {}", n, n == 1 ? " is" : "s are",
                           rs[x].path, shard_str(rs[x]), rs[y].path, shard_str(rs[y]),
                           list_seeds(both, n));
    }
    std::vector<std::uint64_t> missing;
    std::uint64_t n_missing = 0;
    std::uint64_t next = first;              // the next seed expected
    auto gap_to = [&](std::uint64_t upto) {  // seeds next..upto-1 are missing
        if (upto <= next) return;
        n_missing += upto - next;
        for (std::uint64_t s = next; s < upto && missing.size() < kShown; ++s) missing.push_back(s);
    };
    for (const auto& [seed, file] : seeds) {
        gap_to(seed);
        next = seed + 1;
    }
    if (seeds.empty() || seeds.back().first < last) {
        if (seeds.empty()) next = first;
        // last + 1 may wrap: count the tail by hand.
        n_missing += last - next + 1;
        for (std::uint64_t s = next; missing.size() < kShown; ++s) {
            missing.push_back(s);
            if (s == last) break;
        }
    }
    if (n_missing == 0) return std::nullopt;
    std::string msg = fmt::format("{} seed{} of {}..{} {} in no result file: {}", n_missing,
                                  n_missing == 1 ? "" : "s", first, last,
                                  n_missing == 1 ? "is" : "are", list_seeds(missing, n_missing));
    // Shards of one split: name the ones not given.
    const bool one_split = std::all_of(rs.begin(), rs.end(), [&](const SweepResult& r) {
        return r.first == a.first && r.last == a.last && r.shard.count == a.shard.count;
    });
    if (one_split) {
        std::set<std::uint64_t> given;
        for (const auto& r : rs) given.insert(r.shard.index);
        std::vector<std::string> absent;
        for (std::uint64_t k = 1; k <= a.shard.count && absent.size() <= kShown; ++k)
            if (!given.count(k)) absent.push_back(fmt::format("{}/{}", k, a.shard.count));
        if (!absent.empty()) {
            msg += "; missing shard";
            msg += absent.size() == 1 ? " " : "s ";
            for (std::size_t i = 0; i < absent.size() && i < kShown; ++i)
                msg += (i ? ", " : "") + absent[i];
            if (absent.size() > kShown) msg += ", ...";
        }
    }
    return msg;
}

}  // namespace dmemu::scenario
