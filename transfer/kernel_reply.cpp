// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/kernel_reply.hpp"

#include <fmt/format.h>

#include <cstring>

#include "transfer/cn_msg.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {

std::optional<CnMsg> peek_cn_msg(std::span<const std::byte> bytes) {
    if (bytes.size() < sizeof(CnMsg)) return std::nullopt;
    CnMsg cn;
    std::memcpy(&cn, bytes.data(), sizeof(cn));
    return cn;
}

Result<KernelReply, DecodeError> parse_kernel_reply(std::span<const std::byte> bytes) {
    if (bytes.size() < sizeof(CnMsg))
        return DecodeError{
            DecodeErrc::short_message,
            fmt::format("ulog: message of {} bytes is shorter than the {}-byte cn_msg header",
                        bytes.size(), sizeof(CnMsg))};
    if (bytes.size() > CONNECTOR_MAX_MSG_SIZE)
        return DecodeError{
            DecodeErrc::oversized,
            fmt::format("ulog: message of {} bytes exceeds CONNECTOR_MAX_MSG_SIZE {}", bytes.size(),
                        CONNECTOR_MAX_MSG_SIZE)};
    CnMsg cn;
    std::memcpy(&cn, bytes.data(), sizeof(cn));
    const std::size_t present = bytes.size() - sizeof(CnMsg);
    if (cn.len > present)
        return DecodeError{
            DecodeErrc::short_message,
            fmt::format("ulog: cn_msg.len {} but {} bytes follow the header", cn.len, present)};
    if (cn.id.idx != CN_IDX_DM || cn.id.val != CN_VAL_DM_USERSPACE_LOG)
        return DecodeError{DecodeErrc::foreign_id,
                           fmt::format("ulog: cn_msg.id {{{},{}}} is not {{{},{}}}", cn.id.idx,
                                       cn.id.val, CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG)};

    KernelReply out;
    out.cn_seq = cn.seq;
    out.cn_ack = cn.ack;
    out.cn_len = cn.len;
    if (cn.len == 0) {
        out.bare_ack = true;
        return out;
    }
    if (cn.len < sizeof(DmUlogRequest))
        return DecodeError{DecodeErrc::incomplete,
                           fmt::format("ulog: cn_msg.len {} is shorter than dm_ulog_request ({})",
                                       cn.len, sizeof(DmUlogRequest))};

    DmUlogRequest rq;
    std::memcpy(&rq, bytes.data() + sizeof(CnMsg), sizeof(rq));
    const std::size_t room = cn.len - sizeof(DmUlogRequest);
    if (rq.data_size > room)
        return DecodeError{DecodeErrc::size_mismatch,
                           fmt::format("ulog: data_size {} runs past cn_msg.len {} (room for {})",
                                       rq.data_size, cn.len, room)};
    out.seq = rq.seq;
    out.error = rq.error;
    out.request_type = rq.request_type;
    out.data = bytes.subspan(sizeof(CnMsg) + sizeof(DmUlogRequest), rq.data_size);
    return out;
}

}  // namespace dmemu::transfer
