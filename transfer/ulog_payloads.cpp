// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/ulog_payloads.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace dmemu::transfer {

namespace {

template <typename T>
void put(Bytes& out, T value) {
    const auto at = out.size();
    out.resize(at + sizeof(T));
    std::memcpy(out.data() + at, &value, sizeof(T));
}

template <typename T>
T get(ByteView data, std::size_t offset) {
    T value;
    std::memcpy(&value, data.data() + offset, sizeof(T));
    return value;
}

DecodeError wrong_size(std::string_view what, std::size_t got, std::string_view want) {
    return {DecodeErrc::payload_size,
            fmt::format("ulog: {} payload of {} bytes, expected {}", what, got, want)};
}

DecodeError bad_text(std::string message) { return {DecodeErrc::payload_text, std::move(message)}; }

std::string_view as_chars(ByteView data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

Bytes text_bytes(std::string_view text, bool with_nul) {
    if (text.find('\0') != std::string_view::npos)
        throw std::invalid_argument("ulog: payload text contains a NUL byte");
    const auto b = as_bytes(text);
    Bytes out(b.begin(), b.end());
    if (with_nul) out.push_back(std::byte{0});
    return out;
}

// A text whose only NUL, if any, is its last byte.
Result<std::pair<std::string, bool>, DecodeError> split_text(std::string_view what, ByteView data) {
    std::string_view s = as_chars(data);
    const bool nul = !s.empty() && s.back() == '\0';
    if (nul) s.remove_suffix(1);
    if (const auto at = s.find('\0'); at != std::string_view::npos)
        return bad_text(fmt::format("ulog: {} has a NUL at byte {} of {}", what, at, data.size()));
    return std::pair{std::string(s), nul};
}

template <typename Out, typename In>
Result<Out, DecodeError> widen(Result<In, DecodeError> r) {
    if (!r) return r.error();
    return Result<Out, DecodeError>(std::in_place, std::in_place_type<In>, std::move(r).value());
}

}  // namespace

Bytes encode_payload(const NoPayload&) { return {}; }
Bytes encode_payload(const CtrString& p) { return text_bytes(p.text, p.nul_terminated); }
Bytes encode_payload(const Region& p) {
    Bytes out;
    put(out, p.region);
    return out;
}
Bytes encode_payload(const RegionList& p) {
    Bytes out;
    out.reserve(p.regions.size() * sizeof(std::uint64_t));
    for (auto r : p.regions) put(out, r);
    return out;
}
Bytes encode_payload(const RegionSync& p) {
    Bytes out;
    put(out, p.region);
    put(out, p.in_sync);
    return out;
}
Bytes encode_payload(const DeviceName& p) {
    if (p.name.empty()) return {};
    if (p.name.size() + 1 > DM_NAME_LEN)
        throw std::length_error(fmt::format("ulog: device name of {} bytes exceeds {} with its NUL",
                                            p.name.size(), DM_NAME_LEN));
    return text_bytes(p.name, true);
}
Bytes encode_payload(const RegionSize& p) {
    Bytes out;
    put(out, p.sectors);
    return out;
}
Bytes encode_payload(const SyncCount& p) {
    Bytes out;
    put(out, p.count);
    return out;
}
Bytes encode_payload(const S64Reply& p) {
    Bytes out;
    put(out, p.value);
    return out;
}
Bytes encode_payload(const ResyncWork& p) {
    Bytes out;
    put(out, p.i);
    put(out, p.r);
    return out;
}
Bytes encode_payload(const RemoteRecovering& p) {
    Bytes out;
    put(out, p.is_recovering);
    put(out, p.in_sync_hint);
    return out;
}
Bytes encode_payload(const StatusText& p) { return text_bytes(p.text, p.nul_terminated); }
Bytes encode_payload(const RequestPayload& p) {
    return std::visit([](const auto& v) { return encode_payload(v); }, p);
}
Bytes encode_payload(const ReplyPayload& p) {
    return std::visit([](const auto& v) { return encode_payload(v); }, p);
}

Result<NoPayload, DecodeError> decode_no_payload(ByteView data) {
    if (!data.empty()) return wrong_size("empty", data.size(), "0");
    return NoPayload{};
}

Result<CtrString, DecodeError> decode_ctr_string(ByteView data) {
    auto t = split_text("ctr string", data);
    if (!t) return t.error();
    if (t->first.empty()) return bad_text("ulog: ctr string is empty");
    return CtrString{std::move(t->first), t->second};
}

Result<Region, DecodeError> decode_region(ByteView data) {
    if (data.size() != 8) return wrong_size("region", data.size(), "8");
    return Region{get<std::uint64_t>(data, 0)};
}

Result<RegionList, DecodeError> decode_region_list(ByteView data, bool allow_empty) {
    if (data.size() % 8 != 0) return wrong_size("region list", data.size(), "a multiple of 8");
    if (data.empty() && !allow_empty) return wrong_size("region list", 0, "at least 8");
    RegionList out;
    out.regions.reserve(data.size() / 8);
    for (std::size_t at = 0; at < data.size(); at += 8)
        out.regions.push_back(get<std::uint64_t>(data, at));
    return out;
}

Result<RegionSync, DecodeError> decode_region_sync(ByteView data) {
    if (data.size() != 16) return wrong_size("set_region_sync", data.size(), "16");
    return RegionSync{get<std::uint64_t>(data, 0), get<std::int64_t>(data, 8)};
}

Result<DeviceName, DecodeError> decode_device_name(ByteView data) {
    if (data.empty()) return DeviceName{};
    if (data.size() > DM_NAME_LEN)
        return wrong_size("device name", data.size(), fmt::format("at most {}", DM_NAME_LEN));
    auto t = split_text("device name", data);
    if (!t) return t.error();
    if (!t->second)
        return bad_text(fmt::format("ulog: device name '{}' is not NUL-terminated", t->first));
    if (t->first.empty()) return bad_text("ulog: device name is empty");
    return DeviceName{std::move(t->first)};
}

Result<RegionSize, DecodeError> decode_region_size(ByteView data) {
    if (data.size() != 8) return wrong_size("region size", data.size(), "8");
    return RegionSize{get<std::uint64_t>(data, 0)};
}

Result<SyncCount, DecodeError> decode_sync_count(ByteView data) {
    if (data.size() != 8) return wrong_size("sync count", data.size(), "8");
    return SyncCount{get<std::uint64_t>(data, 0)};
}

Result<S64Reply, DecodeError> decode_s64_reply(ByteView data) {
    if (data.size() != 8) return wrong_size("s64", data.size(), "8");
    return S64Reply{get<std::int64_t>(data, 0)};
}

Result<ResyncWork, DecodeError> decode_resync_work(ByteView data) {
    if (data.size() != 16) return wrong_size("resync work", data.size(), "16");
    return ResyncWork{get<std::int64_t>(data, 0), get<std::uint64_t>(data, 8)};
}

Result<RemoteRecovering, DecodeError> decode_remote_recovering(ByteView data) {
    if (data.size() != 16) return wrong_size("is_remote_recovering", data.size(), "16");
    return RemoteRecovering{get<std::int64_t>(data, 0), get<std::uint64_t>(data, 8)};
}

Result<StatusText, DecodeError> decode_status_text(ByteView data) {
    auto t = split_text("status text", data);
    if (!t) return t.error();
    return StatusText{std::move(t->first), t->second};
}

Result<RequestPayload, DecodeError> decode_request_payload(UlogRequestType type, ByteView data) {
    using T = UlogRequestType;
    switch (type) {
        case T::ctr:
            return widen<RequestPayload>(decode_ctr_string(data));
        case T::is_clean:
        case T::in_sync:
        case T::is_remote_recovering:
            return widen<RequestPayload>(decode_region(data));
        case T::flush:
            return widen<RequestPayload>(decode_region_list(data, true));
        case T::mark_region:
        case T::clear_region:
            return widen<RequestPayload>(decode_region_list(data, false));
        case T::set_region_sync:
            return widen<RequestPayload>(decode_region_sync(data));
        case T::dtr:
        case T::presuspend:
        case T::postsuspend:
        case T::resume:
        case T::get_region_size:
        case T::get_resync_work:
        case T::get_sync_count:
        case T::status_info:
        case T::status_table:
            break;
    }
    return widen<RequestPayload>(decode_no_payload(data));
}

Result<ReplyPayload, DecodeError> decode_reply_payload(UlogRequestType type, ByteView data) {
    using T = UlogRequestType;
    switch (type) {
        case T::ctr:
            return widen<ReplyPayload>(decode_device_name(data));
        case T::get_region_size:
            return widen<ReplyPayload>(decode_region_size(data));
        case T::get_sync_count:
            return widen<ReplyPayload>(decode_sync_count(data));
        case T::is_clean:
        case T::in_sync:
            return widen<ReplyPayload>(decode_s64_reply(data));
        case T::get_resync_work:
            return widen<ReplyPayload>(decode_resync_work(data));
        case T::is_remote_recovering:
            return widen<ReplyPayload>(decode_remote_recovering(data));
        case T::status_info:
        case T::status_table:
            return widen<ReplyPayload>(decode_status_text(data));
        case T::dtr:
        case T::presuspend:
        case T::postsuspend:
        case T::resume:
        case T::flush:
        case T::mark_region:
        case T::clear_region:
        case T::set_region_sync:
            break;
    }
    return widen<ReplyPayload>(decode_no_payload(data));
}

}  // namespace dmemu::transfer
