// SPDX-License-Identifier: GPL-2.0-only
// The data[] of each request type and of its reply (dm-log-userspace.h, section 1.4 of
// dm-spec.md). All integers are 64-bit host order, as the kernel sends them.
//
//   type                   request data                     reply data (error == 0)
//   CTR                    ctr string, NUL optional (1)      device name + NUL, <= DM_NAME_LEN, or
//   none DTR PRESUSPEND POSTSUSPEND RESUME     none                             none
//   GET_REGION_SIZE        none                             u64 region size (sectors)
//   IS_CLEAN IN_SYNC       u64 region                       s64 1/0
//   FLUSH                  none, or u64[] regions (2)       none
//   MARK/CLEAR_REGION      u64[] regions, at least one      none
//   GET_RESYNC_WORK        none                             {s64 i; u64 r}
//   SET_REGION_SYNC        {u64 region; s64 in_sync}        none
//   GET_SYNC_COUNT         none                             u64 count
//   STATUS_INFO/_TABLE     none                             text, NUL optional
//   IS_REMOTE_RECOVERING   u64 region                       {s64 is_recovering; u64 in_sync_hint}
//
// (1) userspace_ctr sends strlen() bytes; the -ESRCH reconnect path sends strlen()+1.
// (2) with integrated_flush the marks ride on FLUSH.
//
// Decoders are strict: a size that is not exactly right for the type is a DecodeError
// (payload_size / payload_text). A reply's data is only meaningful when its error is 0.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "transfer/decode_error.hpp"
#include "transfer/result.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {

// dm-ioctl.h: the kernel's buffer for the CTR reply (a device name, NUL included).
inline constexpr std::size_t DM_NAME_LEN = 128;

struct NoPayload {
    bool operator==(const NoPayload&) const = default;
};
struct CtrString {
    std::string text;  // "<target len> <args...>" without uuid and integrated_flush
    bool nul_terminated = false;
    bool operator==(const CtrString&) const = default;
};
struct Region {
    std::uint64_t region = 0;
    bool operator==(const Region&) const = default;
};
struct RegionList {
    std::vector<std::uint64_t> regions;
    bool operator==(const RegionList&) const = default;
};
struct RegionSync {
    std::uint64_t region = 0;
    std::int64_t in_sync = 0;
    bool operator==(const RegionSync&) const = default;
};

struct DeviceName {
    std::string name;  // empty: no device (data_size 0); else sent with its NUL
    bool operator==(const DeviceName&) const = default;
};
struct RegionSize {
    std::uint64_t sectors = 0;
    bool operator==(const RegionSize&) const = default;
};
struct SyncCount {
    std::uint64_t count = 0;
    bool operator==(const SyncCount&) const = default;
};
struct S64Reply {  // IS_CLEAN, IN_SYNC: 1 yes, 0 no
    std::int64_t value = 0;
    bool operator==(const S64Reply&) const = default;
};
struct ResyncWork {
    std::int64_t i = 0;  // 1: recover region r
    std::uint64_t r = 0;
    bool operator==(const ResyncWork&) const = default;
};
struct RemoteRecovering {
    std::int64_t is_recovering = 0;
    std::uint64_t in_sync_hint = 0;
    bool operator==(const RemoteRecovering&) const = default;
};
struct StatusText {
    std::string text;
    bool nul_terminated = true;
    bool operator==(const StatusText&) const = default;
};

using RequestPayload = std::variant<NoPayload, CtrString, Region, RegionList, RegionSync>;
using ReplyPayload = std::variant<NoPayload, DeviceName, RegionSize, SyncCount, S64Reply,
                                  ResyncWork, RemoteRecovering, StatusText>;

using Bytes = std::vector<std::byte>;
using ByteView = std::span<const std::byte>;

// Encoders. Preconditions (std::invalid_argument / std::length_error otherwise): texts hold no
// NUL, a device name is shorter than DM_NAME_LEN.
Bytes encode_payload(const NoPayload&);
Bytes encode_payload(const CtrString&);
Bytes encode_payload(const Region&);
Bytes encode_payload(const RegionList&);
Bytes encode_payload(const RegionSync&);
Bytes encode_payload(const DeviceName&);
Bytes encode_payload(const RegionSize&);
Bytes encode_payload(const SyncCount&);
Bytes encode_payload(const S64Reply&);
Bytes encode_payload(const ResyncWork&);
Bytes encode_payload(const RemoteRecovering&);
Bytes encode_payload(const StatusText&);
Bytes encode_payload(const RequestPayload&);
Bytes encode_payload(const ReplyPayload&);

Result<NoPayload, DecodeError> decode_no_payload(ByteView data);
Result<CtrString, DecodeError> decode_ctr_string(ByteView data);
Result<Region, DecodeError> decode_region(ByteView data);
// MARK_REGION / CLEAR_REGION need at least one region; FLUSH may carry none.
Result<RegionList, DecodeError> decode_region_list(ByteView data, bool allow_empty);
Result<RegionSync, DecodeError> decode_region_sync(ByteView data);
Result<DeviceName, DecodeError> decode_device_name(ByteView data);
Result<RegionSize, DecodeError> decode_region_size(ByteView data);
Result<SyncCount, DecodeError> decode_sync_count(ByteView data);
Result<S64Reply, DecodeError> decode_s64_reply(ByteView data);
Result<ResyncWork, DecodeError> decode_resync_work(ByteView data);
Result<RemoteRecovering, DecodeError> decode_remote_recovering(ByteView data);
Result<StatusText, DecodeError> decode_status_text(ByteView data);

// The payload a request of this type must carry, per the table above.
Result<RequestPayload, DecodeError> decode_request_payload(UlogRequestType type, ByteView data);
// The payload a successful reply to this type must carry.
Result<ReplyPayload, DecodeError> decode_reply_payload(UlogRequestType type, ByteView data);

}  // namespace dmemu::transfer
