// SPDX-License-Identifier: GPL-2.0-only
// corrupt: a message arrives with other bytes.
//
//   corrupt [p=P] [mode=bitflip|truncate] [dir=...] [type=...] [times=N]
//   (p default 1, mode default bitflip)
//
// Fault model: each selected message is altered with probability p and delivered.
//  * bitflip: one seeded bit anywhere in the message flips (netlink has no checksum). What
//    follows depends on the field hit: a bad cn_msg id or len makes the connector drop the
//    message silently; a changed seq sends a reply to nobody (the kernel times out and resends);
//    a changed data_size is dropped by dmemu's kernel side (the kernel would read past the
//    message, see transfer/kernel_reply.hpp); a flipped error, type, luid, uuid or payload bit
//    is taken at face value by the receiver, as the kernel and cmirrord would take it. The
//    layers above must survive wrong answers; nothing may crash.
//  * truncate: the message is cut inside the 160-byte dm_ulog_request, to 1..159 bytes after
//    the cn_msg header, and cn_msg.len says so (a sender that wrote a short message): the
//    kernel logs "Incomplete message received (expected 160, got %u): [%u]" and drops it, then
//    times out and resends; the server drops such a request and the kernel times out. A bare ack
//    (cn_msg alone) is cut to fewer than 20 bytes, which the connector drops silently.
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "transfer/cn_msg.hpp"
#include "transfer/faults/transport_fault_kinds.hpp"

namespace dmemu::transfer {

namespace {

// The field holding byte `offset` of a message, as the event names it.
std::string_view corrupt_field_at(std::size_t offset) {
    struct Field {
        std::size_t end;
        std::string_view name;
    };
    constexpr std::size_t cn = sizeof(CnMsg);
    static constexpr Field kFields[] = {
        {offsetof(CnMsg, id) + 4, "cn_msg.id.idx"},
        {offsetof(CnMsg, seq), "cn_msg.id.val"},
        {offsetof(CnMsg, ack), "cn_msg.seq"},
        {offsetof(CnMsg, len), "cn_msg.ack"},
        {offsetof(CnMsg, flags), "cn_msg.len"},
        {cn, "cn_msg.flags"},
        {cn + offsetof(DmUlogRequest, uuid), "luid"},
        {cn + offsetof(DmUlogRequest, padding), "uuid"},
        {cn + offsetof(DmUlogRequest, version), "padding"},
        {cn + offsetof(DmUlogRequest, error), "version"},
        {cn + offsetof(DmUlogRequest, seq), "error"},
        {cn + offsetof(DmUlogRequest, request_type), "seq"},
        {cn + offsetof(DmUlogRequest, data_size), "request_type"},
        {cn + sizeof(DmUlogRequest), "data_size"},
    };
    for (const Field& f : kFields)
        if (offset < f.end) return f.name;
    return "data";
}

class CorruptFault final : public TransportFault {
public:
    CorruptFault(TransportFaultSetup setup, double p, bool truncate)
        : TransportFault(std::move(setup)), p_(p), truncate_(truncate) {}

protected:
    void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward) override {
        if (!message.empty() && rng().chance(p_))
            fire(info, truncate_ ? truncate(message) : flip(message));
        forward(std::move(message));
    }

private:
    std::string flip(std::vector<std::byte>& m) {
        const std::uint64_t bit = rng().below(m.size() * 8);
        const std::size_t at = bit / 8;
        m[at] ^= std::byte(1u << (bit % 8));
        return fmt::format("bit {} of byte {} flipped ({})", bit % 8, at, corrupt_field_at(at));
    }

    std::string truncate(std::vector<std::byte>& m) {
        const std::size_t was = m.size();
        std::uint16_t len = 0;
        if (m.size() >= sizeof(CnMsg))
            std::memcpy(&len, m.data() + offsetof(CnMsg, len), sizeof(len));
        const std::size_t header = std::min<std::size_t>(
            {len, m.size() - std::min(m.size(), sizeof(CnMsg)), sizeof(DmUlogRequest)});
        if (header < 2) {
            m.resize(rng().below(m.size()));
            return fmt::format("truncated to {} of {} bytes", m.size(), was);
        }
        const auto keep = static_cast<std::uint16_t>(rng().between(1, header - 1));
        m.resize(sizeof(CnMsg) + keep);
        std::memcpy(m.data() + offsetof(CnMsg, len), &keep, sizeof(keep));
        return fmt::format("truncated to {} of {} bytes (cn_msg.len {})", m.size(), was, keep);
    }

    const double p_;
    const bool truncate_;
};

std::shared_ptr<TransportFault> corrupt_make(emu::SpecReader& spec, TransportFaultSetup setup) {
    const double p = spec.probability("p", 1.0);
    const auto mode = spec.value("mode").value_or("bitflip");
    if (mode != "bitflip" && mode != "truncate")
        spec.fail(fmt::format("bad mode '{}' (bitflip, truncate)", mode));
    if (!spec.ok()) return nullptr;
    return std::make_shared<CorruptFault>(std::move(setup), p, mode == "truncate");
}

}  // namespace

const TransportFaultKind corrupt_transport_fault{"corrupt", "corrupt [p=P] [mode=bitflip|truncate]",
                                                 true, corrupt_make};

}  // namespace dmemu::transfer
