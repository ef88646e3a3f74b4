// SPDX-License-Identifier: GPL-2.0-only
// Payload codecs of transfer/ulog_payloads.hpp: exact bytes, strict sizes, the CTR string with
// and without its NUL, the CTR reply's device name.
#include "transfer/ulog_payloads.hpp"

#include <gtest/gtest.h>

#include "tests/transfer/transfer_test_support.hpp"

namespace dmemu::transfer {
namespace {

using test::append_le;
using test::Bytes;
using test::bytes_of;

TEST(UlogPayloads, RegionIsOneHostOrderU64) {
    Bytes expected;
    append_le<std::uint64_t>(expected, 0x0102030405060708ULL);
    EXPECT_EQ(encode_payload(Region{0x0102030405060708ULL}), expected);
    EXPECT_EQ(decode_region(expected)->region, 0x0102030405060708ULL);
}

TEST(UlogPayloads, RegionListIsConsecutiveU64s) {
    Bytes expected;
    for (std::uint64_t r : {15u, 0u, 39u}) append_le<std::uint64_t>(expected, r);
    EXPECT_EQ(encode_payload(RegionList{{15, 0, 39}}), expected);
    auto back = decode_region_list(expected, false);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->regions, (std::vector<std::uint64_t>{15, 0, 39}));
}

TEST(UlogPayloads, ResyncWorkIsS64IThenU64R) {
    Bytes expected;
    append_le<std::int64_t>(expected, 1);
    append_le<std::uint64_t>(expected, 63);
    EXPECT_EQ(encode_payload(ResyncWork{1, 63}), expected);
    EXPECT_EQ(*decode_resync_work(expected), (ResyncWork{1, 63}));
}

TEST(UlogPayloads, SetRegionSyncIsRegionFirst) {
    Bytes expected;
    append_le<std::uint64_t>(expected, 9);
    append_le<std::int64_t>(expected, -1);
    EXPECT_EQ(encode_payload(RegionSync{9, -1}), expected);
    EXPECT_EQ(*decode_region_sync(expected), (RegionSync{9, -1}));
}

TEST(UlogPayloads, RemoteRecoveringIsS64ThenU64) {
    Bytes expected;
    append_le<std::int64_t>(expected, 1);
    append_le<std::uint64_t>(expected, 64);
    EXPECT_EQ(encode_payload(RemoteRecovering{1, 64}), expected);
    EXPECT_EQ(*decode_remote_recovering(expected), (RemoteRecovering{1, 64}));
}

TEST(UlogPayloads, CountsAndAnswersAreEightBytes) {
    EXPECT_EQ(decode_region_size(encode_payload(RegionSize{1024}))->sectors, 1024u);
    EXPECT_EQ(decode_sync_count(encode_payload(SyncCount{64}))->count, 64u);
    EXPECT_EQ(decode_s64_reply(encode_payload(S64Reply{-1}))->value, -1);
}

TEST(UlogPayloads, CtrStringAcceptedWithoutNulAsInitiallySent) {
    auto r = decode_ctr_string(bytes_of("65536 clustered-core 1024"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->text, "65536 clustered-core 1024");
    EXPECT_FALSE(r->nul_terminated);
}

TEST(UlogPayloads, CtrStringAcceptedWithNulAsSentOnReconnect) {
    Bytes b = bytes_of("65536 clustered-core 1024");
    b.push_back(std::byte{0});
    auto r = decode_ctr_string(b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->text, "65536 clustered-core 1024");
    EXPECT_TRUE(r->nul_terminated);
    EXPECT_EQ(encode_payload(*r), b);
}

TEST(UlogPayloads, CtrStringWithEmbeddedNulRejected) {
    auto r = decode_ctr_string(bytes_of({'1', 0, '2'}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrc::payload_text);
    EXPECT_EQ(r.error().message, "ulog: ctr string has a NUL at byte 1 of 3");
}

TEST(UlogPayloads, EmptyCtrStringRejected) {
    EXPECT_EQ(decode_ctr_string({}).error().message, "ulog: ctr string is empty");
    EXPECT_EQ(decode_ctr_string(bytes_of({0})).error().message, "ulog: ctr string is empty");
}

TEST(UlogPayloads, DeviceNameIsNulTerminated) {
    Bytes expected = bytes_of("253:4");
    expected.push_back(std::byte{0});
    EXPECT_EQ(encode_payload(DeviceName{"253:4"}), expected);
    EXPECT_EQ(decode_device_name(expected)->name, "253:4");
}

TEST(UlogPayloads, NoDeviceNameIsEmpty) {
    EXPECT_TRUE(encode_payload(DeviceName{}).empty());
    EXPECT_EQ(decode_device_name({})->name, "");
}

TEST(UlogPayloads, DeviceNameWithoutNulRejected) {
    auto r = decode_device_name(bytes_of("253:4"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrc::payload_text);
    EXPECT_EQ(r.error().message, "ulog: device name '253:4' is not NUL-terminated");
}

TEST(UlogPayloads, DeviceNameLongerThanDmNameLenRejected) {
    Bytes b(DM_NAME_LEN, std::byte{'d'});
    b.back() = std::byte{0};
    EXPECT_TRUE(decode_device_name(b));  // 127 characters + NUL fits
    b.insert(b.begin(), std::byte{'d'});
    auto r = decode_device_name(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrc::payload_size);
    EXPECT_EQ(r.error().message, "ulog: device name payload of 129 bytes, expected at most 128");
    EXPECT_THROW(encode_payload(DeviceName{std::string(128, 'd')}), std::length_error);
}

TEST(UlogPayloads, StatusTextWithOrWithoutNul) {
    Bytes with = bytes_of("1 clustered-core");
    with.push_back(std::byte{0});
    EXPECT_EQ(*decode_status_text(with), (StatusText{"1 clustered-core", true}));
    EXPECT_EQ(*decode_status_text(bytes_of("1 clustered-core")),
              (StatusText{"1 clustered-core", false}));
    EXPECT_EQ(encode_payload(StatusText{"1 clustered-core", true}), with);
}

TEST(UlogPayloads, FixedSizePayloadsRejectWrongSizes) {
    const Bytes seven(7), nine(9), fifteen(15);
    EXPECT_EQ(decode_region(seven).error().message, "ulog: region payload of 7 bytes, expected 8");
    EXPECT_EQ(decode_region_size(nine).error().code, DecodeErrc::payload_size);
    EXPECT_EQ(decode_sync_count(seven).error().code, DecodeErrc::payload_size);
    EXPECT_EQ(decode_s64_reply(nine).error().code, DecodeErrc::payload_size);
    EXPECT_EQ(decode_resync_work(fifteen).error().message,
              "ulog: resync work payload of 15 bytes, expected 16");
    EXPECT_EQ(decode_region_sync(fifteen).error().code, DecodeErrc::payload_size);
    EXPECT_EQ(decode_remote_recovering(fifteen).error().code, DecodeErrc::payload_size);
}

TEST(UlogPayloads, RegionListMustBeWholeU64s) {
    auto r = decode_region_list(Bytes(12), true);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "ulog: region list payload of 12 bytes, expected a multiple of 8");
}

TEST(UlogPayloads, MarkAndClearNeedARegionButFlushMayCarryNone) {
    EXPECT_EQ(decode_request_payload(UlogRequestType::mark_region, {}).error().message,
              "ulog: region list payload of 0 bytes, expected at least 8");
    EXPECT_FALSE(decode_request_payload(UlogRequestType::clear_region, {}));
    auto flush = decode_request_payload(UlogRequestType::flush, {});
    ASSERT_TRUE(flush);
    EXPECT_EQ(*flush, RequestPayload{RegionList{}});
}

TEST(UlogPayloads, RequestsWithoutDataRejectData) {
    for (auto type :
         {UlogRequestType::dtr, UlogRequestType::presuspend, UlogRequestType::postsuspend,
          UlogRequestType::resume, UlogRequestType::get_region_size,
          UlogRequestType::get_resync_work, UlogRequestType::get_sync_count,
          UlogRequestType::status_info, UlogRequestType::status_table}) {
        SCOPED_TRACE(to_string(type));
        EXPECT_TRUE(decode_request_payload(type, {}));
        auto r = decode_request_payload(type, Bytes(8));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().message, "ulog: empty payload of 8 bytes, expected 0");
    }
}

TEST(UlogPayloads, RepliesWithoutDataRejectData) {
    for (auto type :
         {UlogRequestType::dtr, UlogRequestType::presuspend, UlogRequestType::postsuspend,
          UlogRequestType::resume, UlogRequestType::flush, UlogRequestType::mark_region,
          UlogRequestType::clear_region, UlogRequestType::set_region_sync}) {
        SCOPED_TRACE(to_string(type));
        EXPECT_TRUE(decode_reply_payload(type, {}));
        EXPECT_EQ(decode_reply_payload(type, Bytes(1)).error().code, DecodeErrc::payload_size);
    }
}

TEST(UlogPayloads, ReplyPayloadFollowsItsRequestType) {
    EXPECT_EQ(
        *decode_reply_payload(UlogRequestType::get_region_size, encode_payload(RegionSize{1024})),
        ReplyPayload{RegionSize{1024}});
    EXPECT_EQ(*decode_reply_payload(UlogRequestType::get_sync_count, encode_payload(SyncCount{64})),
              ReplyPayload{SyncCount{64}});
    EXPECT_EQ(*decode_reply_payload(UlogRequestType::in_sync, encode_payload(S64Reply{1})),
              ReplyPayload{S64Reply{1}});
    EXPECT_FALSE(
        decode_reply_payload(UlogRequestType::get_resync_work, encode_payload(RegionSize{1})));
}

}  // namespace
}  // namespace dmemu::transfer
