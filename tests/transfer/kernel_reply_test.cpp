// SPDX-License-Identifier: GPL-2.0-only
// parse_kernel_reply: what cn_ulog_callback reads, laxer than decode() where the kernel is.
#include "transfer/kernel_reply.hpp"

#include <gtest/gtest.h>

#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {
namespace {

using test::Bytes;
using test::bytes_of;

Bytes reply_bytes() {
    const UlogMessage rq = make_request("LVM-u", 1, UlogRequestType::get_sync_count, 5, {});
    return encode(make_reply(rq, -5, bytes_of("12345678")));
}

TEST(KernelReply, ReadsSeqErrorTypeAndData) {
    const Bytes b = reply_bytes();
    auto r = parse_kernel_reply(b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->bare_ack);
    EXPECT_EQ(r->cn_seq, 0u);
    EXPECT_EQ(r->seq, 5u);
    EXPECT_EQ(r->error, -5);
    EXPECT_EQ(r->request_type, 14u);
    EXPECT_EQ(Bytes(r->data.begin(), r->data.end()), bytes_of("12345678"));
}

TEST(KernelReply, BareAckCarriesCnSeqAndAck) {
    const Bytes b = encode(make_bare_ack(9, 11));
    auto r = parse_kernel_reply(b);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->bare_ack);
    EXPECT_EQ(r->cn_seq, 9u);
    EXPECT_EQ(r->cn_ack, 11u);
}

TEST(KernelReply, IgnoresWhatTheKernelDoesNotRead) {
    Bytes b = reply_bytes();
    b[20 + 8 + 128] = std::byte{'X'};  // garbage after the uuid NUL
    b[20 + 137] = std::byte{1};        // padding
    b[20 + 152] = std::byte{0};        // request_type 0
    b.push_back(std::byte{0xEE});      // bytes beyond cn_msg.len
    auto r = parse_kernel_reply(b);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->seq, 5u);
    EXPECT_EQ(r->data.size(), 8u);
    EXPECT_FALSE(decode(b));  // the strict decoder refuses it
}

TEST(KernelReply, IncompleteIsReported) {
    Bytes b = reply_bytes();
    b[16] = std::byte{100};
    b[17] = std::byte{0};
    auto r = parse_kernel_reply(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrc::incomplete);
    ASSERT_TRUE(peek_cn_msg(b));
    EXPECT_EQ(peek_cn_msg(b)->len, 100u);
}

TEST(KernelReply, ConnectorDropsShortOverrunAndForeign) {
    EXPECT_EQ(parse_kernel_reply(Bytes(19)).error().code, DecodeErrc::short_message);
    Bytes overrun = reply_bytes();
    overrun.pop_back();
    EXPECT_EQ(parse_kernel_reply(overrun).error().code, DecodeErrc::short_message);
    Bytes foreign = reply_bytes();
    foreign[4] = std::byte{2};
    EXPECT_EQ(parse_kernel_reply(foreign).error().code, DecodeErrc::foreign_id);
    EXPECT_EQ(parse_kernel_reply(Bytes(16385)).error().code, DecodeErrc::oversized);
}

TEST(KernelReply, DataSizePastTheMessageIsDropped) {
    Bytes b = reply_bytes();
    b[20 + 156] = std::byte{9};
    auto r = parse_kernel_reply(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, DecodeErrc::size_mismatch);
    EXPECT_EQ(r.error().message, "ulog: data_size 9 runs past cn_msg.len 168 (room for 8)");
}

}  // namespace
}  // namespace dmemu::transfer
