// SPDX-License-Identifier: GPL-2.0-only
// The wire format of transfer/ulog_request.hpp: byte-exact layout against the oracle, names,
// round trips for every request type, and every decode error.
#include "transfer/ulog_request.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;
using test::bytes_of;

static_assert(std::endian::native == std::endian::little,
              "the golden bytes below are little-endian, as on the oracle's x86-64 guest");

// oracle/ulog/a-create-core.log, first request:
//   REQ seq=0 type=CTR(1) raw_type=0x1 luid=0xffff8d9d813bc200 L1 version=3 uuid=LVM-testuuid
//       data_size=25 data="65536 clustered-core 1024"
Bytes oracle_ctr_bytes() {
    Bytes b = bytes_of({
        0x07, 0x00, 0x00, 0x00,                          // cn_msg.id.idx = CN_IDX_DM
        0x01, 0x00, 0x00, 0x00,                          // cn_msg.id.val = CN_VAL_DM_USERSPACE_LOG
        0x00, 0x00, 0x00, 0x00,                          // cn_msg.seq = 0 (the request's seq)
        0x00, 0x00, 0x00, 0x00,                          // cn_msg.ack
        0xb9, 0x00,                                      // cn_msg.len = 185 = 160 + 25
        0x00, 0x00,                                      // cn_msg.flags
        0x00, 0xc2, 0x3b, 0x81, 0x9d, 0x8d, 0xff, 0xff,  // luid 0xffff8d9d813bc200
    });
    const Bytes uuid = bytes_of("LVM-testuuid");
    b.insert(b.end(), uuid.begin(), uuid.end());
    b.resize(20 + 8 + 129, std::byte{0});  // uuid NUL and zero fill up to DM_UUID_LEN
    b.insert(b.end(), {std::byte{0}, std::byte{0}, std::byte{0}});  // padding[3]
    const Bytes tail = bytes_of({
        0x03, 0x00, 0x00, 0x00,  // version = DM_ULOG_REQUEST_VERSION
        0x00, 0x00, 0x00, 0x00,  // error
        0x00, 0x00, 0x00, 0x00,  // seq
        0x01, 0x00, 0x00, 0x00,  // request_type = DM_ULOG_CTR
        0x19, 0x00, 0x00, 0x00,  // data_size = 25
    });
    b.insert(b.end(), tail.begin(), tail.end());
    const Bytes data = bytes_of("65536 clustered-core 1024");
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

UlogMessage oracle_ctr_message() {
    return make_request("LVM-testuuid", 0xffff8d9d813bc200ULL, UlogRequestType::ctr, 0,
                        as_bytes("65536 clustered-core 1024"));
}

// A valid IS_CLEAN request (8-byte payload, cn_msg.len 168) for the error tests to damage.
Bytes valid_request_bytes() {
    return encode(
        make_request("LVM-testuuid", 42, UlogRequestType::is_clean, 7, encode_payload(Region{3})));
}

template <typename T>
void poke(Bytes& b, std::size_t offset, T value) {
    std::memcpy(b.data() + offset, &value, sizeof(T));
}

constexpr std::size_t kReq = sizeof(CnMsg);  // where dm_ulog_request starts

DecodeError decode_error(const Bytes& b) {
    auto r = decode(b);
    EXPECT_FALSE(r.has_value());
    return r ? DecodeError{} : r.error();
}

TEST(UlogRequest, EncodedCtrMatchesOracleByteForByte) {
    const Bytes expected = oracle_ctr_bytes();
    ASSERT_EQ(expected.size(), 20u + 160u + 25u);
    EXPECT_EQ(encode(oracle_ctr_message()), expected);
}

TEST(UlogRequest, OracleCtrBytesDecodeToTheRequest) {
    auto r = decode(oracle_ctr_bytes());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*r, oracle_ctr_message());
    EXPECT_EQ(r->req->uuid, "LVM-testuuid");
    EXPECT_EQ(r->req->version, 3u);
    EXPECT_EQ(r->payload.size(), 25u);
}

TEST(UlogRequest, ConstantsAreTheKernels) {
    EXPECT_EQ(CN_IDX_DM, 7u);
    EXPECT_EQ(CN_VAL_DM_USERSPACE_LOG, 1u);
    EXPECT_EQ(DM_ULOG_REQUEST_VERSION, 3u);
    EXPECT_EQ(DM_ULOG_REQUEST_MASK, 0xFFu);
    EXPECT_EQ(DM_UUID_LEN, 129u);
    EXPECT_EQ(DM_ULOG_PREALLOCED_SIZE, 512u);
    EXPECT_EQ(CONNECTOR_MAX_MSG_SIZE, 16384u);
    EXPECT_EQ(kMaxRequestPayload, 332u);
}

TEST(UlogRequest, TypeNamesAreTheKernelsInBothForms) {
    EXPECT_EQ(to_string(UlogRequestType::ctr), "DM_ULOG_CTR");
    EXPECT_EQ(to_string(UlogRequestType::is_remote_recovering), "DM_ULOG_IS_REMOTE_RECOVERING");
    EXPECT_EQ(short_name(UlogRequestType::get_region_size), "GET_REGION_SIZE");
    EXPECT_EQ(short_name(UlogRequestType::status_info), "STATUS_INFO");
    EXPECT_EQ(to_string(static_cast<UlogRequestType>(18)), "DM_ULOG_UNKNOWN");
    const char* const shorts[] = {"CTR",
                                  "DTR",
                                  "PRESUSPEND",
                                  "POSTSUSPEND",
                                  "RESUME",
                                  "GET_REGION_SIZE",
                                  "IS_CLEAN",
                                  "IN_SYNC",
                                  "FLUSH",
                                  "MARK_REGION",
                                  "CLEAR_REGION",
                                  "GET_RESYNC_WORK",
                                  "SET_REGION_SYNC",
                                  "GET_SYNC_COUNT",
                                  "STATUS_INFO",
                                  "STATUS_TABLE",
                                  "IS_REMOTE_RECOVERING"};
    for (std::uint32_t v = 1; v <= 17; ++v) {
        const auto type = static_cast<UlogRequestType>(v);
        EXPECT_EQ(short_name(type), shorts[v - 1]);
        EXPECT_EQ(to_string(type), "DM_ULOG_" + std::string(shorts[v - 1]));
        EXPECT_EQ(request_type_from_name(shorts[v - 1]), type);
        EXPECT_EQ(request_type_from_name(to_string(type)), type);
        EXPECT_EQ(request_type_from_wire(v), type);
    }
    EXPECT_FALSE(request_type_from_wire(0));
    EXPECT_FALSE(request_type_from_wire(18));
    EXPECT_FALSE(request_type_from_name("DM_ULOG_NOPE"));
}

// One representative request payload and reply payload per type.
struct Sample {
    UlogRequestType type;
    RequestPayload request;
    ReplyPayload reply;
};

std::vector<Sample> samples() {
    using T = UlogRequestType;
    return {
        {T::ctr, CtrString{"2097152 clustered-disk 253:2 1024 nosync", false}, DeviceName{"253:2"}},
        {T::dtr, NoPayload{}, NoPayload{}},
        {T::presuspend, NoPayload{}, NoPayload{}},
        {T::postsuspend, NoPayload{}, NoPayload{}},
        {T::resume, NoPayload{}, NoPayload{}},
        {T::get_region_size, NoPayload{}, RegionSize{1024}},
        {T::is_clean, Region{15}, S64Reply{1}},
        {T::in_sync, Region{39}, S64Reply{0}},
        {T::flush, RegionList{{1, 2, 3}}, NoPayload{}},
        {T::mark_region, RegionList{{0}}, NoPayload{}},
        {T::clear_region, RegionList{{15, 0}}, NoPayload{}},
        {T::get_resync_work, NoPayload{}, ResyncWork{1, 63}},
        {T::set_region_sync, RegionSync{5, 1}, NoPayload{}},
        {T::get_sync_count, NoPayload{}, SyncCount{64}},
        {T::status_info, NoPayload{}, StatusText{"1 clustered-core", true}},
        {T::status_table, NoPayload{}, StatusText{"clustered-core 1024", true}},
        {T::is_remote_recovering, Region{7}, RemoteRecovering{0, 64}},
    };
}

TEST(UlogRequest, EveryRequestTypeRoundTrips) {
    const auto all = samples();
    ASSERT_EQ(all.size(), 17u);
    std::uint32_t seq = 100;
    for (const auto& s : all) {
        SCOPED_TRACE(to_string(s.type));
        const UlogMessage request = make_request("LVM-abcdefgh01234567", 0xffff8d9d813bc200ULL,
                                                 s.type, seq++, encode_payload(s.request));
        const Bytes wire = encode(request);
        auto back = decode(wire);
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, request);
        EXPECT_EQ(encode(*back), wire);
        auto payload = decode_request_payload(s.type, back->payload);
        ASSERT_TRUE(payload) << payload.error().message;
        EXPECT_EQ(*payload, s.request);
    }
}

TEST(UlogRequest, EveryReplyTypeRoundTrips) {
    std::uint32_t seq = 7;
    for (const auto& s : samples()) {
        SCOPED_TRACE(to_string(s.type));
        const UlogMessage request =
            make_request("LVM-x", 1, s.type, seq++, encode_payload(s.request));
        const UlogMessage reply = make_reply(request, 0, encode_payload(s.reply));
        auto back = decode(encode(reply));
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, reply);
        EXPECT_EQ(back->cn.seq, 0u);  // kernel_send_helper leaves cn_msg.seq 0
        EXPECT_EQ(back->req->seq, request.req->seq);
        auto payload = decode_reply_payload(s.type, back->payload);
        ASSERT_TRUE(payload) << payload.error().message;
        EXPECT_EQ(*payload, s.reply);
    }
}

TEST(UlogRequest, BareAckRoundTrips) {
    const UlogMessage ack = make_bare_ack(12, 11);
    const Bytes wire = encode(ack);
    ASSERT_EQ(wire.size(), 20u);
    auto back = decode(wire);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_TRUE(back->is_bare_ack());
    EXPECT_EQ(back->cn.seq, 12u);
    EXPECT_EQ(back->cn.ack, 11u);
    EXPECT_EQ(*back, ack);
}

TEST(UlogRequest, LongestUuidRoundTrips) {
    const std::string uuid(kMaxUuidLength, 'u');
    const UlogMessage m = make_request(uuid, 1, UlogRequestType::dtr, 1, {});
    auto back = decode(encode(m));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->req->uuid, uuid);
}

TEST(UlogRequest, EncodeRefusesUuidThatCannotFit) {
    EXPECT_THROW(encode(make_request(std::string(129, 'u'), 1, UlogRequestType::dtr, 1, {})),
                 std::length_error);
    EXPECT_THROW(encode(make_request(std::string("a\0b", 3), 1, UlogRequestType::dtr, 1, {})),
                 std::invalid_argument);
}

TEST(UlogRequestDecode, RejectsMessageShorterThanCnMsg) {
    const auto e = decode_error(Bytes(19));
    EXPECT_EQ(e.code, DecodeErrc::short_message);
    EXPECT_EQ(e.message, "ulog: message of 19 bytes is shorter than the 20-byte cn_msg header");
}

TEST(UlogRequestDecode, RejectsEmptyInput) {
    EXPECT_EQ(decode_error(Bytes{}).code, DecodeErrc::short_message);
}

TEST(UlogRequestDecode, RejectsCnLenBeyondWhatIsPresent) {
    Bytes b = valid_request_bytes();
    b.resize(b.size() - 3);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::short_message);
    EXPECT_EQ(e.message, "ulog: cn_msg.len 168 but 165 bytes follow the header");
}

TEST(UlogRequestDecode, RejectsTrailingBytes) {
    Bytes b = valid_request_bytes();
    b.push_back(std::byte{0});
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::trailing_bytes);
    EXPECT_EQ(e.message, "ulog: cn_msg.len 168 but 169 bytes follow the header");
}

TEST(UlogRequestDecode, RejectsForeignConnectorId) {
    Bytes b = valid_request_bytes();
    poke<std::uint32_t>(b, 0, 3);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::foreign_id);
    EXPECT_EQ(e.message, "ulog: cn_msg.id {3,1} is not {7,1}");
}

TEST(UlogRequestDecode, RejectsMessageAboveConnectorMaximum) {
    Bytes b = encode(make_request("u", 1, UlogRequestType::status_info, 1, {}));
    const std::uint16_t len = 16384 - 20 + 1;
    poke<std::uint16_t>(b, 16, len);
    poke<std::uint32_t>(b, kReq + 156, len - 160);
    b.resize(20 + len);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::oversized);
    EXPECT_EQ(e.message,
              "ulog: cn_msg.len 16365 exceeds CONNECTOR_MAX_MSG_SIZE 16384 with its header");
}

TEST(UlogRequestDecode, AcceptsMessageAtConnectorMaximum) {
    const UlogMessage m = make_request("u", 1, UlogRequestType::status_info, 1,
                                       Bytes(16384 - 20 - 160, std::byte{'x'}));
    auto back = decode(encode(m));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, m);
}

TEST(UlogRequestDecode, RejectsIncompleteRequest) {
    Bytes b = valid_request_bytes();
    poke<std::uint16_t>(b, 16, 100);
    b.resize(20 + 100);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::incomplete);
    EXPECT_EQ(e.message, "ulog: cn_msg.len 100 is shorter than dm_ulog_request (160)");
}

TEST(UlogRequestDecode, RejectsDataSizeDisagreeingWithCnLen) {
    Bytes b = valid_request_bytes();
    poke<std::uint32_t>(b, kReq + 156, 9000);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::size_mismatch);
    EXPECT_EQ(e.message, "ulog: data_size 9000 disagrees with cn_msg.len 168 (expects 8)");
}

TEST(UlogRequestDecode, RejectsMaximalDataSize) {
    Bytes b = valid_request_bytes();
    poke<std::uint32_t>(b, kReq + 156, 0xFFFFFFFFu);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::size_mismatch);
    EXPECT_EQ(e.message, "ulog: data_size 4294967295 disagrees with cn_msg.len 168 (expects 8)");
}

TEST(UlogRequestDecode, RejectsUuidWithoutNul) {
    Bytes b = valid_request_bytes();
    std::memset(b.data() + kReq + 8, 'A', 129);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::uuid_unterminated);
    EXPECT_EQ(e.message, "ulog: uuid has no NUL in its 129 bytes");
}

TEST(UlogRequestDecode, RejectsBytesAfterUuidNul) {
    Bytes b = valid_request_bytes();
    b[kReq + 8 + 100] = std::byte{'Z'};
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::uuid_not_zero_filled);
    EXPECT_EQ(e.message, "ulog: uuid 'LVM-testuuid' has non-zero bytes after its NUL");
}

TEST(UlogRequestDecode, RejectsNonZeroPadding) {
    Bytes b = valid_request_bytes();
    b[kReq + 138] = std::byte{1};
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::padding_not_zero);
    EXPECT_EQ(e.message, "ulog: padding 00 01 00 is not zero");
}

TEST(UlogRequestDecode, RejectsReservedRequestTypeBits) {
    Bytes b = valid_request_bytes();
    poke<std::uint32_t>(b, kReq + 152, 0x107);
    const auto e = decode_error(b);
    EXPECT_EQ(e.code, DecodeErrc::reserved_type_bits);
    EXPECT_EQ(e.message, "ulog: request_type 0x107 has reserved bits set");
}

TEST(UlogRequestDecode, RejectsUnknownRequestType) {
    Bytes b = valid_request_bytes();
    for (std::uint32_t bad : {0u, 18u, 255u}) {
        poke<std::uint32_t>(b, kReq + 152, bad);
        const auto e = decode_error(b);
        EXPECT_EQ(e.code, DecodeErrc::unknown_request_type);
        EXPECT_EQ(e.message,
                  "ulog: request_type " + std::to_string(bad) + " is not a known request (1..17)");
    }
}

TEST(UlogRequestDecode, KeepsUncheckedFieldsForTheRoundTrip) {
    Bytes b = valid_request_bytes();
    poke<std::uint32_t>(b, 8, 99);          // cn_msg.seq differs from the request's
    poke<std::uint32_t>(b, 12, 5);          // ack
    poke<std::uint16_t>(b, 18, 0x8000);     // flags
    poke<std::uint32_t>(b, kReq + 140, 1);  // version 1
    poke<std::int32_t>(b, kReq + 144, -5);  // error
    auto r = decode(b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->cn.seq, 99u);
    EXPECT_EQ(r->cn.ack, 5u);
    EXPECT_EQ(r->cn.flags, 0x8000u);
    EXPECT_EQ(r->req->version, 1u);
    EXPECT_EQ(r->req->error, -5);
    EXPECT_EQ(encode(*r), b);
}

TEST(UlogRequestDecode, ErrorCodesHaveNames) {
    EXPECT_EQ(to_string(DecodeErrc::size_mismatch), "size_mismatch");
    EXPECT_EQ(to_string(DecodeErrc::payload_text), "payload_text");
}

}  // namespace
}  // namespace dmemu::transfer
