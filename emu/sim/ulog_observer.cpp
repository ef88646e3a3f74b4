// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/ulog_observer.hpp"

#include <fmt/format.h>

#include "transfer/ulog_payloads.hpp"

namespace dmemu::scenario {

namespace {

using transfer::UlogRequestType;

struct Summary {
    std::string operator()(const transfer::NoPayload&) const { return {}; }
    std::string operator()(const transfer::CtrString& c) const { return printable(c.text); }
    std::string operator()(const transfer::Region& r) const {
        return fmt::format("region={}", r.region);
    }
    std::string operator()(const transfer::RegionList& l) const {
        // A FLUSH without integrated_flush carries nothing.
        return l.regions.empty() ? std::string()
                                 : fmt::format("regions=[{}]", fmt::join(l.regions, ","));
    }
    std::string operator()(const transfer::RegionSync& s) const {
        return fmt::format("region={} in_sync={}", s.region, s.in_sync);
    }
    std::string operator()(const transfer::DeviceName& d) const { return printable(d.name); }
    std::string operator()(const transfer::RegionSize& r) const {
        return fmt::format("{}", r.sectors);
    }
    std::string operator()(const transfer::SyncCount& c) const {
        return fmt::format("{}", c.count);
    }
    std::string operator()(const transfer::S64Reply& v) const { return fmt::format("{}", v.value); }
    std::string operator()(const transfer::ResyncWork& w) const {
        return fmt::format("i={} r={}", w.i, w.r);
    }
    std::string operator()(const transfer::RemoteRecovering& r) const {
        return fmt::format("recovering={} hint={}", r.is_recovering, r.in_sync_hint);
    }
    std::string operator()(const transfer::StatusText& t) const { return printable(t.text); }
};

std::string raw_summary(std::span<const std::byte> payload) {
    return payload.empty() ? std::string() : fmt::format("{} bytes", payload.size());
}

}  // namespace

std::string summarize_request(UlogRequestType type, std::span<const std::byte> payload) {
    auto p = transfer::decode_request_payload(type, payload);
    return p ? std::visit(Summary{}, *p) : raw_summary(payload);
}

std::string summarize_reply(UlogRequestType type, std::span<const std::byte> payload) {
    if (payload.empty()) return {};
    auto p = transfer::decode_reply_payload(type, payload);
    return p ? std::visit(Summary{}, *p) : raw_summary(payload);
}

void UlogObserver::on_message(transfer::Direction direction, std::vector<std::byte> message,
                              Forward forward) {
    if (auto m = transfer::decode(message)) {
        if (direction == transfer::Direction::to_userspace && !m->is_bare_ack())
            on_request(*m);
        else if (direction == transfer::Direction::to_kernel)
            on_reply(*m);
    }
    forward(std::move(message));
}

std::string UlogObserver::log_name(int log) { return fmt::format("L{}", log); }

int UlogObserver::name_of(std::uint64_t luid) {
    if (luid == 0) return 0;
    auto [it, fresh] = names_.try_emplace(luid, static_cast<int>(names_.size()) + 1);
    return it->second;
}

void UlogObserver::on_request(const transfer::UlogMessage& m) {
    const auto& h = *m.req;
    UlogExchange x;
    x.index = exchanges_.size();
    x.sent = clock_ ? clock_->now() : emu::TimePoint{};
    x.type = h.type;
    x.uuid = h.uuid;
    x.log = name_of(h.luid);
    x.seq = h.seq;
    x.request = summarize_request(h.type, m.payload);
    x.server = server_;
    waiting_[h.seq] = x.index;
    if (trace_.enabled()) {
        Json j = trace_.event("ulog");
        j["dir"] = "req";
        j["type"] = transfer::short_name(h.type);
        j["uuid"] = h.uuid;
        j["luid"] = log_name(x.log);
        j["seq"] = h.seq;
        j["size"] = m.payload.size();
        if (!x.request.empty()) j["payload"] = x.request;
        trace_.emit(j);
    }
    exchanges_.push_back(std::move(x));
}

void UlogObserver::on_reply(const transfer::UlogMessage& m) {
    const std::uint32_t seq = m.is_bare_ack() ? m.cn.seq : m.req->seq;
    auto w = waiting_.find(seq);
    if (w == waiting_.end()) return;  // not a request we saw: nothing to pair it with
    UlogExchange& x = exchanges_[w->second];
    waiting_.erase(w);
    x.answered = true;
    x.bare_ack = m.is_bare_ack();
    x.error = m.is_bare_ack() ? -static_cast<std::int32_t>(m.cn.ack) : m.req->error;
    if (!m.is_bare_ack()) x.reply = summarize_reply(x.type, m.payload);
    x.server = server_;
    // The engine just handled the request: its last event with this seq says which object.
    if (logs::LogServer* engine = engine_()) {
        const auto& events = engine->events();
        for (auto it = events.rbegin(); it != events.rend(); ++it)
            if (it->seq == seq) {
                x.instance = it->instance;
                break;
            }
        engine->clear_events();
    } else {
        x.reached_known = false;
    }
    if (x.instance != 0) {
        const auto key = std::make_pair(server_, x.instance);
        if (x.type == UlogRequestType::ctr && x.error == 0) owner_.try_emplace(key, x.log);
        auto o = owner_.find(key);
        x.reached = o == owner_.end() ? 0 : o->second;
    }
    if (trace_.enabled()) {
        Json j = trace_.event("ulog");
        j["dir"] = x.bare_ack ? "ack" : "rep";
        j["type"] = transfer::short_name(x.type);
        j["luid"] = log_name(x.log);
        j["seq"] = seq;
        j["error"] = x.error;
        if (!x.reply.empty()) j["payload"] = x.reply;
        j["server"] = x.server;
        if (x.reached_known) {
            j["instance"] = x.instance;
            j["reached"] = x.reached == 0 ? Json(nullptr) : Json(log_name(x.reached));
        }
        trace_.emit(j);
    }
}

}  // namespace dmemu::scenario
