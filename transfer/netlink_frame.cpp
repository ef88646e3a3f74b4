// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/netlink_frame.hpp"

#include <fmt/format.h>

#include <cstring>

#include "transfer/cn_msg.hpp"

namespace dmemu::transfer {

namespace {

struct NlMsgHdr {
    std::uint32_t len;
    std::uint16_t type;
    std::uint16_t flags;
    std::uint32_t seq;
    std::uint32_t pid;
};
static_assert(sizeof(NlMsgHdr) == kNlmsgHdrLen);

}  // namespace

std::vector<std::byte> netlink_wrap(std::span<const std::byte> cn) {
    NlMsgHdr h{};
    h.len = static_cast<std::uint32_t>(kNlmsgHdrLen + cn.size());
    h.type = kNlmsgDone;
    if (cn.size() >= sizeof(CnMsg))
        std::memcpy(&h.seq, cn.data() + offsetof(CnMsg, seq), sizeof h.seq);
    const std::size_t aligned = (h.len + 3u) & ~std::size_t{3};
    std::vector<std::byte> out(aligned, std::byte{0});
    std::memcpy(out.data(), &h, sizeof h);
    if (!cn.empty()) std::memcpy(out.data() + kNlmsgHdrLen, cn.data(), cn.size());
    return out;
}

std::optional<std::vector<std::byte>> netlink_unwrap(std::span<const std::byte> datagram,
                                                     std::string* why) {
    if (datagram.size() < kNlmsgHdrLen) {
        *why = fmt::format("{} bytes: shorter than an nlmsghdr", datagram.size());
        return std::nullopt;
    }
    NlMsgHdr h;
    std::memcpy(&h, datagram.data(), sizeof h);
    const std::int64_t payload =
        static_cast<std::int64_t>(h.len) - static_cast<std::int64_t>(kNlmsgHdrLen);
    if (payload < static_cast<std::int64_t>(sizeof(CnMsg)) || datagram.size() < h.len ||
        payload > static_cast<std::int64_t>(CONNECTOR_MAX_MSG_SIZE)) {
        *why = fmt::format("nlmsg_len {} in a datagram of {} bytes", h.len, datagram.size());
        return std::nullopt;
    }
    CnMsg cn;
    std::memcpy(&cn, datagram.data() + kNlmsgHdrLen, sizeof cn);
    if (h.len < kNlmsgHdrLen + sizeof(CnMsg) + cn.len) {
        *why = fmt::format("cn_msg.len {} overruns nlmsg_len {}", cn.len, h.len);
        return std::nullopt;
    }
    // cn_call_callback: only a registered callback's id is delivered; dm-log-userspace's is the
    // one this link carries.
    if (cn.id.idx != CN_IDX_DM || cn.id.val != CN_VAL_DM_USERSPACE_LOG) {
        *why = fmt::format("cn_msg id {}.{}: no callback registered", cn.id.idx, cn.id.val);
        return std::nullopt;
    }
    const auto* begin = datagram.data() + kNlmsgHdrLen;
    return std::vector<std::byte>(begin, begin + sizeof(CnMsg) + cn.len);
}

}  // namespace dmemu::transfer
