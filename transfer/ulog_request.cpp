// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/ulog_request.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <stdexcept>

namespace dmemu::transfer {

namespace {

struct TypeNames {
    std::string_view kernel;
    std::string_view short_form;
};

// Indexed by wire value; [0] is the fallback for anything outside 1..17.
constexpr std::array<TypeNames, kLastRequestType + 1> kTypeNames{{
    {"DM_ULOG_UNKNOWN", "UNKNOWN"},
    {"DM_ULOG_CTR", "CTR"},
    {"DM_ULOG_DTR", "DTR"},
    {"DM_ULOG_PRESUSPEND", "PRESUSPEND"},
    {"DM_ULOG_POSTSUSPEND", "POSTSUSPEND"},
    {"DM_ULOG_RESUME", "RESUME"},
    {"DM_ULOG_GET_REGION_SIZE", "GET_REGION_SIZE"},
    {"DM_ULOG_IS_CLEAN", "IS_CLEAN"},
    {"DM_ULOG_IN_SYNC", "IN_SYNC"},
    {"DM_ULOG_FLUSH", "FLUSH"},
    {"DM_ULOG_MARK_REGION", "MARK_REGION"},
    {"DM_ULOG_CLEAR_REGION", "CLEAR_REGION"},
    {"DM_ULOG_GET_RESYNC_WORK", "GET_RESYNC_WORK"},
    {"DM_ULOG_SET_REGION_SYNC", "SET_REGION_SYNC"},
    {"DM_ULOG_GET_SYNC_COUNT", "GET_SYNC_COUNT"},
    {"DM_ULOG_STATUS_INFO", "STATUS_INFO"},
    {"DM_ULOG_STATUS_TABLE", "STATUS_TABLE"},
    {"DM_ULOG_IS_REMOTE_RECOVERING", "IS_REMOTE_RECOVERING"},
}};

const TypeNames& names_of(UlogRequestType type) {
    const auto v = static_cast<std::uint32_t>(type);
    return (v >= kFirstRequestType && v <= kLastRequestType) ? kTypeNames[v] : kTypeNames[0];
}

DecodeError fail(DecodeErrc code, std::string message) { return {code, std::move(message)}; }

void check_uuid(std::string_view uuid) {
    if (uuid.size() > kMaxUuidLength)
        throw std::length_error(
            fmt::format("ulog: uuid of {} bytes exceeds {}", uuid.size(), kMaxUuidLength));
    if (uuid.find('\0') != std::string_view::npos)
        throw std::invalid_argument("ulog: uuid contains a NUL byte");
}

}  // namespace

std::string_view to_string(UlogRequestType type) { return names_of(type).kernel; }

std::string_view short_name(UlogRequestType type) { return names_of(type).short_form; }

std::optional<UlogRequestType> request_type_from_wire(std::uint32_t value) {
    if (value < kFirstRequestType || value > kLastRequestType) return std::nullopt;
    return static_cast<UlogRequestType>(value);
}

std::optional<UlogRequestType> request_type_from_name(std::string_view name) {
    for (std::uint32_t v = kFirstRequestType; v <= kLastRequestType; ++v)
        if (name == kTypeNames[v].kernel || name == kTypeNames[v].short_form)
            return static_cast<UlogRequestType>(v);
    return std::nullopt;
}

std::vector<std::byte> encode(const UlogMessage& message) {
    const std::size_t body = message.req ? sizeof(DmUlogRequest) + message.payload.size() : 0;
    if (!message.req && !message.payload.empty())
        throw std::invalid_argument("ulog: a bare ack cannot carry a payload");
    if (sizeof(CnMsg) + body > CONNECTOR_MAX_MSG_SIZE)
        throw std::length_error(
            fmt::format("ulog: message of {} bytes exceeds CONNECTOR_MAX_MSG_SIZE {}",
                        sizeof(CnMsg) + body, CONNECTOR_MAX_MSG_SIZE));

    CnMsg cn{};
    cn.id = {message.cn.idx, message.cn.val};
    cn.seq = message.cn.seq;
    cn.ack = message.cn.ack;
    cn.len = static_cast<std::uint16_t>(body);
    cn.flags = message.cn.flags;

    std::vector<std::byte> out(sizeof(CnMsg) + body);
    std::memcpy(out.data(), &cn, sizeof(cn));
    if (!message.req) return out;

    const UlogHeader& h = *message.req;
    check_uuid(h.uuid);
    DmUlogRequest rq{};  // zero-filled like the kernel's buffer: uuid tail and padding stay 0
    rq.luid = h.luid;
    std::memcpy(rq.uuid, h.uuid.data(), h.uuid.size());
    rq.version = h.version;
    rq.error = h.error;
    rq.seq = h.seq;
    rq.request_type = static_cast<std::uint32_t>(h.type);
    rq.data_size = static_cast<std::uint32_t>(message.payload.size());
    std::memcpy(out.data() + sizeof(CnMsg), &rq, sizeof(rq));
    if (!message.payload.empty())
        std::memcpy(out.data() + sizeof(CnMsg) + sizeof(rq), message.payload.data(),
                    message.payload.size());
    return out;
}

Result<UlogMessage, DecodeError> decode(std::span<const std::byte> bytes) {
    if (bytes.size() < sizeof(CnMsg))
        return fail(
            DecodeErrc::short_message,
            fmt::format("ulog: message of {} bytes is shorter than the {}-byte cn_msg header",
                        bytes.size(), sizeof(CnMsg)));
    CnMsg cn;
    std::memcpy(&cn, bytes.data(), sizeof(cn));
    if (cn.id.idx != CN_IDX_DM || cn.id.val != CN_VAL_DM_USERSPACE_LOG)
        return fail(DecodeErrc::foreign_id,
                    fmt::format("ulog: cn_msg.id {{{},{}}} is not {{{},{}}}", cn.id.idx, cn.id.val,
                                CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG));
    if (sizeof(CnMsg) + cn.len > CONNECTOR_MAX_MSG_SIZE)
        return fail(
            DecodeErrc::oversized,
            fmt::format("ulog: cn_msg.len {} exceeds CONNECTOR_MAX_MSG_SIZE {} with its header",
                        cn.len, CONNECTOR_MAX_MSG_SIZE));
    const std::size_t present = bytes.size() - sizeof(CnMsg);
    if (cn.len > present)
        return fail(
            DecodeErrc::short_message,
            fmt::format("ulog: cn_msg.len {} but {} bytes follow the header", cn.len, present));
    if (cn.len < present)
        return fail(
            DecodeErrc::trailing_bytes,
            fmt::format("ulog: cn_msg.len {} but {} bytes follow the header", cn.len, present));

    UlogMessage out;
    out.cn = {cn.id.idx, cn.id.val, cn.seq, cn.ack, cn.flags};
    if (cn.len == 0) return out;  // bare ack
    if (cn.len < sizeof(DmUlogRequest))
        return fail(DecodeErrc::incomplete,
                    fmt::format("ulog: cn_msg.len {} is shorter than dm_ulog_request ({})", cn.len,
                                sizeof(DmUlogRequest)));

    DmUlogRequest rq;
    std::memcpy(&rq, bytes.data() + sizeof(CnMsg), sizeof(rq));
    const std::uint64_t expected = std::uint64_t{sizeof(DmUlogRequest)} + rq.data_size;
    if (expected != cn.len)
        return fail(DecodeErrc::size_mismatch,
                    fmt::format("ulog: data_size {} disagrees with cn_msg.len {} (expects {})",
                                rq.data_size, cn.len, cn.len - sizeof(DmUlogRequest)));

    const std::string_view raw_uuid(rq.uuid, DM_UUID_LEN);
    const std::size_t nul = raw_uuid.find('\0');
    if (nul == std::string_view::npos)
        return fail(DecodeErrc::uuid_unterminated,
                    fmt::format("ulog: uuid has no NUL in its {} bytes", DM_UUID_LEN));
    const std::string_view uuid = raw_uuid.substr(0, nul);
    if (raw_uuid.find_first_not_of('\0', nul) != std::string_view::npos)
        return fail(DecodeErrc::uuid_not_zero_filled,
                    fmt::format("ulog: uuid '{}' has non-zero bytes after its NUL", uuid));
    if (rq.padding[0] != 0 || rq.padding[1] != 0 || rq.padding[2] != 0)
        return fail(DecodeErrc::padding_not_zero,
                    fmt::format("ulog: padding {:02x} {:02x} {:02x} is not zero",
                                static_cast<unsigned char>(rq.padding[0]),
                                static_cast<unsigned char>(rq.padding[1]),
                                static_cast<unsigned char>(rq.padding[2])));
    if ((rq.request_type & ~DM_ULOG_REQUEST_MASK) != 0)
        return fail(DecodeErrc::reserved_type_bits,
                    fmt::format("ulog: request_type {:#x} has reserved bits set", rq.request_type));
    const auto type = request_type_from_wire(rq.request_type & DM_ULOG_REQUEST_MASK);
    if (!type)
        return fail(DecodeErrc::unknown_request_type,
                    fmt::format("ulog: request_type {} is not a known request ({}..{})",
                                rq.request_type, kFirstRequestType, kLastRequestType));

    out.req = UlogHeader{rq.luid, std::string(uuid), rq.version, rq.error, rq.seq, *type};
    const auto payload = bytes.subspan(sizeof(CnMsg) + sizeof(DmUlogRequest));
    out.payload.assign(payload.begin(), payload.end());
    return out;
}

UlogMessage make_request(std::string_view uuid, std::uint64_t luid, UlogRequestType type,
                         std::uint32_t seq, std::span<const std::byte> payload) {
    UlogMessage m;
    m.cn.seq = seq;
    m.req = UlogHeader{luid, std::string(uuid), DM_ULOG_REQUEST_VERSION, 0, seq, type};
    m.payload.assign(payload.begin(), payload.end());
    return m;
}

UlogMessage make_reply(const UlogMessage& request, std::int32_t error,
                       std::span<const std::byte> payload) {
    UlogMessage m;
    m.req = request.req;
    if (m.req) m.req->error = error;
    m.payload.assign(payload.begin(), payload.end());
    return m;
}

UlogMessage make_bare_ack(std::uint32_t seq, std::uint32_t positive_errno) {
    UlogMessage m;
    m.cn.seq = seq;
    m.cn.ack = positive_errno;
    return m;
}

}  // namespace dmemu::transfer
