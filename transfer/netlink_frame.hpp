// SPDX-License-Identifier: GPL-2.0-only
// The netlink framing around a connector message, as a userspace process with a
// NETLINK_CONNECTOR socket sees it (drivers/connector/connector.c of 6.1):
//
//   kernel -> userspace (cn_netlink_send_mult): nlmsg_put(skb, portid 0, msg->seq, NLMSG_DONE,
//     size = sizeof(cn_msg) + msg->len, flags 0), so
//       nlmsghdr { nlmsg_len = 16 + size, nlmsg_type = NLMSG_DONE (3), nlmsg_flags = 0,
//                  nlmsg_seq = cn_msg.seq, nlmsg_pid = 0 }
//     then the cn_msg and its data, then zeros up to a multiple of 4 (the datagram is
//     NLMSG_ALIGN'ed; nlmsg_len is not). Multicast to group CN_IDX_DM; nobody listening is -ESRCH.
//   userspace -> kernel (cn_rx_skb, cn_call_callback): a datagram shorter than the nlmsghdr, one
//     whose nlmsg_len claims more than arrived, whose payload is shorter than a cn_msg or longer
//     than CONNECTOR_MAX_MSG_SIZE, whose cn_msg.len overruns nlmsg_len, or whose cn_msg.id names
//     no registered callback (only CN_IDX_DM.CN_VAL_DM_USERSPACE_LOG is) is dropped without a
//     word (the sender's send() has already succeeded). nlmsg_type, flags, seq and pid are not
//     looked at. What passes is the cn_msg and its cn_msg.len bytes of data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace dmemu::transfer {

inline constexpr std::size_t kNlmsgHdrLen = 16;  // NLMSG_HDRLEN
inline constexpr std::uint16_t kNlmsgDone = 3;   // NLMSG_DONE

// The datagram cn_netlink_send delivers for connector message `cn` (cn_msg + data).
std::vector<std::byte> netlink_wrap(std::span<const std::byte> cn);

// What cn_rx_skb passes on from a datagram a process sent: the cn_msg and its data, or nullopt
// (with *why, for the daemon's log) when the connector drops it.
std::optional<std::vector<std::byte>> netlink_unwrap(std::span<const std::byte> datagram,
                                                     std::string* why);

}  // namespace dmemu::transfer
