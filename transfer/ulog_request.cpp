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

namespace {

// What encode() writes for a dm_ulog_request: the header fields, wherever they are kept.
struct RequestFields {
    std::uint64_t luid;
    std::string_view uuid;
    std::uint32_t version;
    std::int32_t error;
    std::uint32_t seq;
    UlogRequestType type;
};

// The one writer behind encode, encode_into, encode_request and encode_reply. req null: a bare
// ack. Every byte of `out` is written, so a reused buffer needs no clearing.
void encode_parts(const CnHeader& header, const RequestFields* req,
                  std::span<const std::byte> payload, std::vector<std::byte>& out) {
    const std::size_t body = req ? sizeof(DmUlogRequest) + payload.size() : 0;
    if (!req && !payload.empty())
        throw std::invalid_argument("ulog: a bare ack cannot carry a payload");
    if (sizeof(CnMsg) + body > CONNECTOR_MAX_MSG_SIZE)
        throw std::length_error(
            fmt::format("ulog: message of {} bytes exceeds CONNECTOR_MAX_MSG_SIZE {}",
                        sizeof(CnMsg) + body, CONNECTOR_MAX_MSG_SIZE));

    CnMsg cn{};
    cn.id = {header.idx, header.val};
    cn.seq = header.seq;
    cn.ack = header.ack;
    cn.len = static_cast<std::uint16_t>(body);
    cn.flags = header.flags;

    out.resize(sizeof(CnMsg) + body);
    std::memcpy(out.data(), &cn, sizeof(cn));
    if (!req) return;

    check_uuid(req->uuid);
    DmUlogRequest rq{};  // zero-filled like the kernel's buffer: uuid tail and padding stay 0
    rq.luid = req->luid;
    std::memcpy(rq.uuid, req->uuid.data(), req->uuid.size());
    rq.version = req->version;
    rq.error = req->error;
    rq.seq = req->seq;
    rq.request_type = static_cast<std::uint32_t>(req->type);
    rq.data_size = static_cast<std::uint32_t>(payload.size());
    std::memcpy(out.data() + sizeof(CnMsg), &rq, sizeof(rq));
    if (!payload.empty())
        std::memcpy(out.data() + sizeof(CnMsg) + sizeof(rq), payload.data(), payload.size());
}

RequestFields fields_of(const UlogHeader& h) {
    return {h.luid, h.uuid, h.version, h.error, h.seq, h.type};
}

// uuid[] after its NUL: compared against zeros with memcmp, not byte by byte (this check was a
// tenth of a server's time per request).
bool all_zero(const char* bytes, std::size_t n) {
    static constexpr char kZeros[DM_UUID_LEN] = {};
    return std::memcmp(bytes, kZeros, n) == 0;
}

}  // namespace

void encode_into(const UlogMessage& message, std::vector<std::byte>& out) {
    if (!message.req) {
        encode_parts(message.cn, nullptr, message.payload, out);
        return;
    }
    const RequestFields fields = fields_of(*message.req);
    encode_parts(message.cn, &fields, message.payload, out);
}

std::vector<std::byte> encode(const UlogMessage& message) {
    std::vector<std::byte> out;
    encode_into(message, out);
    return out;
}

void encode_request(std::string_view uuid, std::uint64_t luid, UlogRequestType type,
                    std::uint32_t seq, std::span<const std::byte> payload,
                    std::vector<std::byte>& out) {
    CnHeader cn;
    cn.seq = seq;
    const RequestFields fields{luid, uuid, DM_ULOG_REQUEST_VERSION, 0, seq, type};
    encode_parts(cn, &fields, payload, out);
}

void encode_reply(const UlogMessage& request, std::int32_t error,
                  std::span<const std::byte> payload, std::vector<std::byte>& out) {
    const CnHeader cn;  // make_reply: seq 0, ack 0, flags 0
    if (!request.req) {
        encode_parts(cn, nullptr, payload, out);
        return;
    }
    RequestFields fields = fields_of(*request.req);
    fields.error = error;
    encode_parts(cn, &fields, payload, out);
}

std::optional<DecodeError> decode_into(std::span<const std::byte> bytes, UlogMessage& out) {
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

    out.cn = {cn.id.idx, cn.id.val, cn.seq, cn.ack, cn.flags};
    if (cn.len == 0) {  // bare ack
        out.req.reset();
        out.payload.clear();
        return std::nullopt;
    }
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
    if (!all_zero(rq.uuid + nul, DM_UUID_LEN - nul))
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

    UlogHeader& h = out.req ? *out.req : out.req.emplace();
    h.luid = rq.luid;
    h.uuid.assign(uuid);  // keeps the string's capacity
    h.version = rq.version;
    h.error = rq.error;
    h.seq = rq.seq;
    h.type = *type;
    const auto payload = bytes.subspan(sizeof(CnMsg) + sizeof(DmUlogRequest));
    out.payload.assign(payload.begin(), payload.end());
    return std::nullopt;
}

Result<UlogMessage, DecodeError> decode(std::span<const std::byte> bytes) {
    UlogMessage out;
    if (auto error = decode_into(bytes, out)) return std::move(*error);
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
