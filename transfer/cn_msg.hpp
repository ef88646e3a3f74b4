// SPDX-License-Identifier: GPL-2.0-only
// The netlink connector header, `struct cn_msg` of include/uapi/linux/connector.h, as it
// precedes every dm-log-userspace message in both directions.
//
//   offset size field
//        0    4 id.idx   CN_IDX_DM (7)
//        4    4 id.val   CN_VAL_DM_USERSPACE_LOG (1)
//        8    4 seq      kernel: the request's dm_ulog_request.seq; bare ack: the seq acked
//       12    4 ack      kernel sends 0; a userspace bare ack carries a positive errno
//       16    2 len      bytes after this header
//       18    2 flags    0
//       20    - data[]
//
// Host byte order, no padding. The connector core (connector.c: cn_rx_skb) drops any message
// whose header + len exceeds CONNECTOR_MAX_MSG_SIZE or whose len overruns what was received.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace dmemu::transfer {

// Kernel names (include/uapi/linux/connector.h).
inline constexpr std::uint32_t CN_IDX_DM = 0x7;
inline constexpr std::uint32_t CN_VAL_DM_USERSPACE_LOG = 0x1;
inline constexpr std::size_t CONNECTOR_MAX_MSG_SIZE = 16384;

struct CbId {
    std::uint32_t idx;
    std::uint32_t val;
};

struct CnMsg {
    CbId id;
    std::uint32_t seq;
    std::uint32_t ack;
    std::uint16_t len;
    std::uint16_t flags;
};

static_assert(std::is_trivially_copyable_v<CnMsg> && std::is_standard_layout_v<CnMsg>);
static_assert(sizeof(CbId) == 8);
static_assert(offsetof(CbId, idx) == 0);
static_assert(offsetof(CbId, val) == 4);
static_assert(sizeof(CnMsg) == 20);
static_assert(offsetof(CnMsg, id) == 0);
static_assert(offsetof(CnMsg, seq) == 8);
static_assert(offsetof(CnMsg, ack) == 12);
static_assert(offsetof(CnMsg, len) == 16);
static_assert(offsetof(CnMsg, flags) == 18);

}  // namespace dmemu::transfer
