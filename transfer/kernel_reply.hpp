// SPDX-License-Identifier: GPL-2.0-only
// What the kernel reads of a message from userspace: the checks of connector.c (cn_rx_skb,
// cn_call_callback) followed by dm-log-userspace-transfer.c (cn_ulog_callback, fill_pkg).
//
// Deliberately laxer than decode(): the kernel looks only at cn_msg.seq/ack/len and, for a full
// reply, at dm_ulog_request.seq, error, request_type (to print it), data_size and data. uuid,
// luid, version and padding of a reply are never checked, and bytes beyond cn_msg.len are
// ignored. Errors:
//   short_message, oversized, foreign_id  the connector core drops the message silently
//   incomplete                            0 < len < 160: the kernel's "Incomplete message" DMERR
//   size_mismatch                         data_size runs past the message. The kernel does not
//                                         check this (fill_pkg would copy past the skb); we drop
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "transfer/cn_msg.hpp"
#include "transfer/decode_error.hpp"
#include "transfer/result.hpp"

namespace dmemu::transfer {

struct KernelReply {
    std::uint32_t cn_seq = 0;
    std::uint32_t cn_ack = 0;
    std::uint16_t cn_len = 0;
    bool bare_ack = false;  // cn_msg.len == 0: only cn_seq and cn_ack are meaningful
    std::uint32_t seq = 0;
    std::int32_t error = 0;
    std::uint32_t request_type = 0;   // raw field, as the kernel prints it
    std::span<const std::byte> data;  // data_size bytes, viewing the parsed buffer
};

Result<KernelReply, DecodeError> parse_kernel_reply(std::span<const std::byte> bytes);
// The connector header alone (for the seq and len the kernel prints), if there are 20 bytes.
std::optional<CnMsg> peek_cn_msg(std::span<const std::byte> bytes);

}  // namespace dmemu::transfer
