// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/faults/transport_fault.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "transfer/cn_msg.hpp"

namespace dmemu::transfer {

std::string_view fault_direction_name(Direction direction) {
    return direction == Direction::to_userspace ? "to-server" : "to-kernel";
}

MessageInfo describe_message(Direction direction, std::span<const std::byte> message) {
    MessageInfo info;
    info.direction = direction;
    info.size = message.size();
    if (message.size() < sizeof(CnMsg)) return info;
    CnMsg cn;
    std::memcpy(&cn, message.data(), sizeof(cn));
    if (cn.len == 0) {
        info.bare_ack = true;
        info.seq = cn.seq;
        return info;
    }
    if (cn.len < sizeof(DmUlogRequest) || message.size() < sizeof(CnMsg) + sizeof(DmUlogRequest))
        return info;
    DmUlogRequest rq;
    std::memcpy(&rq, message.data() + sizeof(CnMsg), sizeof(rq));
    info.seq = rq.seq;
    info.type = request_type_from_wire(rq.request_type & DM_ULOG_REQUEST_MASK);
    return info;
}

bool MessageFilter::matches(const MessageInfo& message) const {
    if (!(message.direction == Direction::to_userspace ? to_server : to_kernel)) return false;
    if (types.empty()) return true;
    return message.type && std::find(types.begin(), types.end(), *message.type) != types.end();
}

std::string to_string(const TransportFaultEvent& e) {
    const auto ns = e.time.time_since_epoch().count();
    std::string out = fmt::format("t={}.{:09} link={} fault={} kind={}", ns / 1'000'000'000,
                                  ns % 1'000'000'000, e.link, e.fault, e.kind);
    if (e.direction) out += fmt::format(" dir={}", fault_direction_name(*e.direction));
    if (e.seq) out += fmt::format(" seq={}", *e.seq);
    if (e.type) out += fmt::format(" type={}", short_name(*e.type));
    out += ' ';
    out += e.what;
    return out;
}

std::string format_fault_duration(emu::Duration d) {
    const auto ns = d.count();
    if (ns != 0 && ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
    if (ns != 0 && ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
    if (ns != 0 && ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
    return fmt::format("{}ns", ns);
}

TransportFault::TransportFault(TransportFaultSetup setup) : setup_(std::move(setup)) {}

void TransportFault::on_message(Direction direction, std::vector<std::byte> message,
                                Forward forward) {
    const MessageInfo info = setup_.describe ? setup_.describe(direction, message)
                                             : describe_message(direction, message);
    const bool spent = setup_.times && fired_ >= *setup_.times;
    if (!spent && setup_.filter.matches(info))
        act(info, std::move(message), std::move(forward));
    else
        pass(info, std::move(message), std::move(forward));
}

void TransportFault::act(const MessageInfo&, std::vector<std::byte> message, Forward forward) {
    forward(std::move(message));
}

void TransportFault::pass(const MessageInfo&, std::vector<std::byte> message, Forward forward) {
    forward(std::move(message));
}

void TransportFault::fire(const MessageInfo& info, std::string what) {
    ++fired_;
    note(info, std::move(what));
}

void TransportFault::note(const MessageInfo& info, std::string what) {
    if (setup_.report) setup_.report(info, std::move(what));
}

}  // namespace dmemu::transfer
