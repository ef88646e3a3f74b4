// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/data_model.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace dmemu::scenario {

namespace {

constexpr std::size_t kHistory = 8;

bool has(const std::vector<std::uint32_t>& v, std::uint32_t x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}
void add(std::vector<std::uint32_t>& v, std::uint32_t x) {
    if (!has(v, x)) v.push_back(x);
}

}  // namespace

std::uint32_t DataModel::begin_write(const std::string& device, emu::Sector sector,
                                     std::uint64_t sectors, std::string origin,
                                     emu::TimePoint now) {
    WriteRecord w;
    w.id = static_cast<std::uint32_t>(writes_.size() + 1);
    w.device = device;
    w.sector = sector;
    w.sectors = sectors;
    w.origin = std::move(origin);
    w.submit_seq = ++seq_;
    w.submitted = now;
    auto& sectors_of = devices_[device];
    for (std::uint64_t i = 0; i < sectors; ++i) {
        auto& s = sectors_of[sector + i];
        s.inflight.push_back(w.id);
        s.history.push_back(w.id);
        if (s.history.size() > kHistory) s.history.erase(s.history.begin());
    }
    ++counts_[device].writes;
    writes_.push_back(std::move(w));
    return writes_.back().id;
}

void DataModel::end_write(std::uint32_t id, int error) {
    auto& w = writes_.at(id - 1);
    w.end_seq = ++seq_;
    w.error = error;
    auto& sectors_of = devices_[w.device];
    for (std::uint64_t i = 0; i < w.sectors; ++i) {
        auto& s = sectors_of[w.sector + i];
        std::erase(s.inflight, id);
        if (error != 0) {
            add(s.allowed, id);  // it may have landed, or not
            continue;
        }
        // Overwritten: everything that completed before this write was submitted.
        std::vector<std::uint32_t> next{id};
        for (auto other : s.allowed)
            if (other != 0 && writes_.at(other - 1).end_seq > w.submit_seq) add(next, other);
        for (auto other : s.inflight) add(next, other);
        s.allowed = std::move(next);
    }
    auto& c = counts_[w.device];
    if (error == 0)
        ++c.acked;
    else
        ++c.failed;
}

void DataModel::power_cut(bool cache_lost) {
    for (auto& [device, sectors_of] : devices_) {
        for (auto& [sector, s] : sectors_of) {
            for (auto id : s.inflight) add(s.allowed, id);
            s.inflight.clear();
            if (cache_lost) add(s.allowed, 0);
        }
    }
    for (auto& w : writes_) {
        if (w.end_seq != 0) continue;
        w.end_seq = ++seq_;
        w.lost = true;
        ++counts_[w.device].lost;
    }
}

void DataModel::count_read(const std::string& device, int error) {
    auto& c = counts_[device];
    ++c.reads;
    if (error != 0) ++c.read_errors;
}

const DataModel::SectorState* DataModel::find(const std::string& device, emu::Sector sector) const {
    auto d = devices_.find(device);
    if (d == devices_.end()) return nullptr;
    auto s = d->second.find(sector);
    return s == d->second.end() ? nullptr : &s->second;
}

std::vector<std::uint32_t> DataModel::allowed(const std::string& device, emu::Sector sector) const {
    const SectorState* s = find(device, sector);
    if (s == nullptr) return {0};
    std::vector<std::uint32_t> out = s->allowed;
    for (auto id : s->inflight) add(out, id);
    return out;
}

bool DataModel::accepts(const std::string& device, emu::Sector sector,
                        const SectorContent& c) const {
    const auto may = allowed(device, sector);
    // Until a write to it is acknowledged, a sector may still hold what it held before.
    if (has(may, 0)) return true;
    return c.kind == SectorContent::Kind::written && c.home == sector && has(may, c.write);
}

bool DataModel::accepts_since(const std::string& device, emu::Sector sector, const SectorContent& c,
                              std::uint64_t since_seq) const {
    if (accepts(device, sector, c)) return true;
    const SectorState* s = find(device, sector);
    if (s == nullptr) return true;
    // Content was still there when the read started unless a write submitted after it ended
    // had completed, successfully, before the read was submitted.
    const auto superseded = [&](std::uint64_t after_seq) {
        for (auto id : s->history) {
            const auto& y = writes_.at(id - 1);
            if (y.end_seq != 0 && y.error == 0 && y.submit_seq > after_seq &&
                y.end_seq <= since_seq)
                return true;
        }
        return false;
    };
    if (c.kind != SectorContent::Kind::written || c.home != sector) return !superseded(0);
    if (!has(s->history, c.write)) return false;
    const auto& x = writes_.at(c.write - 1);
    return x.end_seq == 0 || !superseded(x.end_seq);
}

const DeviceIoCounts& DataModel::counts(const std::string& device) const {
    static const DeviceIoCounts none;
    auto it = counts_.find(device);
    return it == counts_.end() ? none : it->second;
}

std::string DataModel::describe(std::uint32_t id) const {
    if (id == 0) return "what it held before";
    const auto& w = writes_.at(id - 1);
    const char* state = w.end_seq == 0 ? "in flight"
                        : w.lost       ? "lost in a power cut"
                        : w.error == 0 ? "acked"
                                       : "failed";
    return fmt::format("write #{} ({}, {} sectors at {}, {})", id, w.origin, w.sectors, w.sector,
                       state);
}

std::string DataModel::describe_allowed(const std::string& device, emu::Sector sector) const {
    std::string out;
    for (auto id : allowed(device, sector)) {
        if (!out.empty()) out += " or ";
        out += describe(id);
    }
    return out;
}

}  // namespace dmemu::scenario
