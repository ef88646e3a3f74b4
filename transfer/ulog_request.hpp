// SPDX-License-Identifier: GPL-2.0-only
// `struct dm_ulog_request` (include/uapi/linux/dm-log-userspace.h), the request types with the
// kernel's numbers and names, and the pure encode/decode of a whole connector message:
//
//   cn_msg (20 bytes, see cn_msg.hpp) | dm_ulog_request (160 bytes) | data[data_size]
//
//   offset size field
//        0    8 luid          the kernel log instance (opaque to userspace)
//        8  129 uuid          DM_UUID_LEN, NUL-terminated, zero-filled by the kernel
//      137    3 padding       zero
//      140    4 version       DM_ULOG_REQUEST_VERSION (3)
//      144    4 error         reply status: 0 or -errno
//      148    4 seq           matched by the kernel against its waiters
//      152    4 request_type  low 8 bits (DM_ULOG_REQUEST_MASK) are the type, the rest reserved 0
//      156    4 data_size     bytes of payload after the struct
//
// Host byte order (the kernel does no swapping), which is little-endian on every ABI we build
// for. A message with cn_msg.len == 0 is a userspace "bare ack" (cmirrord's kernel_ack): no
// dm_ulog_request, the positive errno in cn_msg.ack, matched by cn_msg.seq.
//
// decode() is strict and total: any byte string yields a UlogMessage or a DecodeError naming
// the field and the bad value, and encode(decode(b)) == b whenever decode succeeds. It is what
// a log server should apply to requests. The kernel itself is laxer about replies (it reads only
// seq, error, data_size and data): kernel_reply.hpp mirrors that.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "transfer/cn_msg.hpp"
#include "transfer/decode_error.hpp"
#include "transfer/result.hpp"

namespace dmemu::transfer {

// Kernel names (dm-log-userspace.h, dm-ioctl.h, dm-log-userspace-transfer.c).
inline constexpr std::uint32_t DM_ULOG_REQUEST_VERSION = 3;
inline constexpr std::uint32_t DM_ULOG_REQUEST_MASK = 0xFF;
inline constexpr std::size_t DM_UUID_LEN = 129;
inline constexpr std::size_t DM_ULOG_PREALLOCED_SIZE = 512;

struct DmUlogRequest {
    std::uint64_t luid;
    char uuid[DM_UUID_LEN];
    char padding[3];
    std::uint32_t version;
    std::int32_t error;
    std::uint32_t seq;
    std::uint32_t request_type;
    std::uint32_t data_size;
};

static_assert(std::is_trivially_copyable_v<DmUlogRequest> &&
              std::is_standard_layout_v<DmUlogRequest>);
static_assert(sizeof(DmUlogRequest) == 160);
static_assert(offsetof(DmUlogRequest, luid) == 0);
static_assert(offsetof(DmUlogRequest, uuid) == 8);
static_assert(offsetof(DmUlogRequest, padding) == 137);
static_assert(offsetof(DmUlogRequest, version) == 140);
static_assert(offsetof(DmUlogRequest, error) == 144);
static_assert(offsetof(DmUlogRequest, seq) == 148);
static_assert(offsetof(DmUlogRequest, request_type) == 152);
static_assert(offsetof(DmUlogRequest, data_size) == 156);

// Largest payload dm_consult_userspace accepts: its one 512-byte buffer minus both headers.
inline constexpr std::size_t kMaxRequestPayload =
    DM_ULOG_PREALLOCED_SIZE - sizeof(CnMsg) - sizeof(DmUlogRequest);
static_assert(kMaxRequestPayload == 332);

// Longest uuid that fits uuid[] with its NUL.
inline constexpr std::size_t kMaxUuidLength = DM_UUID_LEN - 1;

enum class UlogRequestType : std::uint32_t {
    ctr = 1,
    dtr = 2,
    presuspend = 3,
    postsuspend = 4,
    resume = 5,
    get_region_size = 6,
    is_clean = 7,
    in_sync = 8,
    flush = 9,
    mark_region = 10,
    clear_region = 11,
    get_resync_work = 12,
    set_region_sync = 13,
    get_sync_count = 14,
    status_info = 15,
    status_table = 16,
    is_remote_recovering = 17,
};

inline constexpr std::uint32_t kFirstRequestType = 1;
inline constexpr std::uint32_t kLastRequestType = 17;

// "DM_ULOG_CTR" ... "DM_ULOG_IS_REMOTE_RECOVERING"; "DM_ULOG_UNKNOWN" outside 1..17.
std::string_view to_string(UlogRequestType type);
// "CTR" ... "IS_REMOTE_RECOVERING", as in the oracle's .seq files; "UNKNOWN" outside 1..17.
std::string_view short_name(UlogRequestType type);
// The type for a (masked) wire value, if it is one of 1..17.
std::optional<UlogRequestType> request_type_from_wire(std::uint32_t value);
// Accepts either form of the name: "DM_ULOG_CTR" or "CTR".
std::optional<UlogRequestType> request_type_from_name(std::string_view name);

struct CnHeader {
    std::uint32_t idx = CN_IDX_DM;
    std::uint32_t val = CN_VAL_DM_USERSPACE_LOG;
    std::uint32_t seq = 0;
    std::uint32_t ack = 0;
    std::uint16_t flags = 0;
    // len is not stored: encode() derives it from the request and payload.

    bool operator==(const CnHeader&) const = default;
};

struct UlogHeader {
    std::uint64_t luid = 0;
    std::string uuid;  // at most kMaxUuidLength bytes, no NUL
    std::uint32_t version = DM_ULOG_REQUEST_VERSION;
    std::int32_t error = 0;
    std::uint32_t seq = 0;
    UlogRequestType type = UlogRequestType::ctr;
    // data_size is not stored: it is payload.size().

    bool operator==(const UlogHeader&) const = default;
};

struct UlogMessage {
    CnHeader cn;
    std::optional<UlogHeader> req;  // empty: a bare ack (cn_msg.len == 0)
    std::vector<std::byte> payload;

    bool is_bare_ack() const { return !req.has_value(); }
    bool operator==(const UlogMessage&) const = default;
};

// The wire bytes. Preconditions (std::invalid_argument / std::length_error otherwise, never UB):
// uuid fits (<= 128 bytes, no NUL), a bare ack has no payload, the whole message stays within
// CONNECTOR_MAX_MSG_SIZE.
std::vector<std::byte> encode(const UlogMessage& message);
Result<UlogMessage, DecodeError> decode(std::span<const std::byte> bytes);

// The same two into storage the caller keeps, so a hot path allocates nothing once its buffers
// have grown: encode_into leaves exactly encode(message) in `out` (reusing its capacity; on a
// throw `out` is unspecified); decode_into gives decode()'s verdict, the message in `out`
// (reusing its uuid and payload storage) or the error (then `out` is unspecified).
void encode_into(const UlogMessage& message, std::vector<std::byte>& out);
std::optional<DecodeError> decode_into(std::span<const std::byte> bytes, UlogMessage& out);

// A request as dm_consult_userspace fills it: version 3, error 0, cn_msg.seq = seq.
UlogMessage make_request(std::string_view uuid, std::uint64_t luid, UlogRequestType type,
                         std::uint32_t seq, std::span<const std::byte> payload);
// A reply as cmirrord's kernel_send_helper sends it: the request header echoed with error and
// the payload set, cn_msg.seq 0, ack 0.
UlogMessage make_reply(const UlogMessage& request, std::int32_t error,
                       std::span<const std::byte> payload);
// A bare ack as cmirrord's kernel_ack sends it: cn_msg.seq = seq, ack = positive errno, len 0.
UlogMessage make_bare_ack(std::uint32_t seq, std::uint32_t positive_errno);

// encode(make_request(...)) and encode(make_reply(...)) written straight into `out` (same bytes,
// same preconditions), without building the intermediate message and its copies.
void encode_request(std::string_view uuid, std::uint64_t luid, UlogRequestType type,
                    std::uint32_t seq, std::span<const std::byte> payload,
                    std::vector<std::byte>& out);
void encode_reply(const UlogMessage& request, std::int32_t error,
                  std::span<const std::byte> payload, std::vector<std::byte>& out);

// Views for building and comparing byte strings in tests and codecs.
inline std::span<const std::byte> as_bytes(std::string_view s) {
    return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

}  // namespace dmemu::transfer
