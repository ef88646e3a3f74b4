// SPDX-License-Identifier: GPL-2.0-only
// The one transport-fault spec parser (what it accepts, the exact error for each kind of bad
// spec), the one list of kinds, and the pure parts: describe_message, MessageFilter, the
// event line.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "transfer/faults/transport_fault_kinds.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::transfer {
namespace {

using namespace std::chrono_literals;

class TransportFaultSpec : public ::testing::Test {
protected:
    ParsedTransportFault parse(std::string_view text) {
        return parse_transport_fault(text,
                                     TransportFaultSetup{.clock = &clock, .rng = emu::Rng(1)});
    }
    boost::asio::io_context ctx;
    emu::VirtualClock clock{ctx};
};

TEST_F(TransportFaultSpec, KindsAreRegisteredInOneListByName) {
    std::vector<std::string_view> names;
    for (const TransportFaultKind* k : transport_fault_kinds()) names.push_back(k->name);
    EXPECT_EQ(names, (std::vector<std::string_view>{"drop", "delay", "duplicate", "reorder",
                                                    "corrupt", "cut"}));
    EXPECT_EQ(find_transport_fault_kind("reorder"), &reorder_transport_fault);
    EXPECT_EQ(find_transport_fault_kind("eio"), nullptr);
}

TEST_F(TransportFaultSpec, EveryExampleParses) {
    for (const char* text :
         {"drop p=0.05 dir=to-server", "duplicate p=0.01", "delay dist=uniform:1-20ms dir=both",
          "corrupt p=0.01 mode=bitflip", "corrupt mode=truncate type=FLUSH,MARK_REGION", "drop",
          "drop dir=to-kernel type=DM_ULOG_CLEAR_REGION times=1", "delay ms=20000",
          "delay dist=fixed:3s p=0.5", "delay dist=uniform:500us-2ms", "reorder",
          "reorder p=0.3 hold=20ms dir=to-kernel", "cut", "cut for=10s", "drop for=250ms"}) {
        const ParsedTransportFault parsed = parse(text);
        EXPECT_NE(parsed.fault, nullptr) << text << ": " << parsed.error;
        EXPECT_TRUE(parsed.error.empty()) << text;
    }
}

TEST_F(TransportFaultSpec, ForIsTheFaultsLifetime) {
    EXPECT_EQ(parse("cut for=10s").lifetime, emu::Duration(10s));
    EXPECT_EQ(parse("drop").lifetime, std::nullopt);
}

TEST_F(TransportFaultSpec, BadSpecsSayWhatWasWrongWithWhichWord) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "fault: empty spec"},
        {"flood",
         "fault: unknown kind 'flood' (kinds: drop, delay, duplicate, reorder, corrupt, cut)"},
        {"eio", "fault: unknown kind 'eio' (kinds: drop, delay, duplicate, reorder, corrupt, cut)"},
        {"drop bogus", "fault: drop: unknown parameter 'bogus'"},
        {"drop p=0.5 p=0.6", "fault: drop: parameter 'p' given twice"},
        {"drop p=1.5", "fault: drop: p '1.5' is not a probability in [0, 1]"},
        {"duplicate p=x", "fault: duplicate: p 'x' is not a probability in [0, 1]"},
        {"drop dir=up", "fault: drop: bad dir 'up' (to-server, to-kernel, both)"},
        {"drop dir=to_userspace",
         "fault: drop: bad dir 'to_userspace' (to-server, to-kernel, both)"},
        {"drop type=FLUSH,BOGUS",
         "fault: drop: bad request type 'BOGUS' (a DM_ULOG_ name, with or without the prefix: "
         "FLUSH, DM_ULOG_MARK_REGION, ...)"},
        {"drop type=FLUSH,",
         "fault: drop: bad request type '' (a DM_ULOG_ name, with or without the prefix: FLUSH, "
         "DM_ULOG_MARK_REGION, ...)"},
        {"drop times=0", "fault: drop: times=0 would never act (at least 1)"},
        {"drop times=x", "fault: drop: bad number times='x'"},
        {"drop for=5", "fault: drop: bad duration for='5' (a positive 250ms, 10s, ...)"},
        {"drop for=0s", "fault: drop: bad duration for='0s' (a positive 250ms, 10s, ...)"},
        {"delay", "fault: delay: needs exactly one of ms=N or dist=fixed:D|uniform:D1-D2"},
        {"delay ms=5 dist=fixed:1ms",
         "fault: delay: needs exactly one of ms=N or dist=fixed:D|uniform:D1-D2"},
        {"delay ms=-5", "fault: delay: bad number ms='-5'"},
        {"delay ms=10000000000000", "fault: delay: ms=10000000000000 is too long"},
        {"delay dist=uniform:20-1ms",
         "fault: delay: bad range '20-1ms' (uniform:1-20ms, low <= high)"},
        {"delay dist=uniform:5ms", "fault: delay: bad range '5ms' (uniform:1-20ms, low <= high)"},
        {"delay dist=fixed:5xs", "fault: delay: bad duration '5xs'"},
        {"delay dist=normal:5ms",
         "fault: delay: unknown distribution 'normal:5ms' (fixed:D, uniform:D1-D2)"},
        {"reorder hold=0ms", "fault: reorder: bad duration hold='0ms' (a positive 250ms, 1s, ...)"},
        {"corrupt mode=scramble", "fault: corrupt: bad mode 'scramble' (bitflip, truncate)"},
        {"cut dir=to-server", "fault: cut: unknown parameter 'dir'"},
        {"cut type=FLUSH", "fault: cut: unknown parameter 'type'"},
        {"cut p=0.5", "fault: cut: unknown parameter 'p'"},
    };
    for (const auto& [text, error] : cases) {
        const ParsedTransportFault parsed = parse(text);
        EXPECT_EQ(parsed.fault, nullptr) << text;
        EXPECT_EQ(parsed.error, error) << text;
    }
}

TEST(DescribeMessage, ReadsSeqAndTypeOfRequestsAndReplies) {
    const auto request = make_request("LVM-u", 9, UlogRequestType::flush, 41, {});
    const MessageInfo rq = describe_message(Direction::to_userspace, encode(request));
    EXPECT_EQ(rq.seq, 41u);
    EXPECT_EQ(rq.type, UlogRequestType::flush);
    EXPECT_FALSE(rq.bare_ack);
    EXPECT_EQ(rq.size, 180u);

    const auto reply = make_reply(request, -EINVAL, {});
    const MessageInfo rp = describe_message(Direction::to_kernel, encode(reply));
    EXPECT_EQ(rp.seq, 41u);
    EXPECT_EQ(rp.type, UlogRequestType::flush);
    EXPECT_EQ(rp.direction, Direction::to_kernel);
}

TEST(DescribeMessage, BareAckHasItsCnSeqAndNoType) {
    const MessageInfo ack = describe_message(Direction::to_kernel, encode(make_bare_ack(7, 11)));
    EXPECT_TRUE(ack.bare_ack);
    EXPECT_EQ(ack.seq, 7u);
    EXPECT_EQ(ack.type, std::nullopt);
}

TEST(DescribeMessage, ShortOrIncompleteMessagesHaveNeither) {
    auto bytes = encode(make_request("LVM-u", 9, UlogRequestType::flush, 41, {}));
    bytes.resize(100);
    const MessageInfo cut = describe_message(Direction::to_userspace, bytes);
    EXPECT_EQ(cut.seq, std::nullopt);
    EXPECT_EQ(cut.type, std::nullopt);
    bytes.resize(5);
    EXPECT_EQ(describe_message(Direction::to_userspace, bytes).seq, std::nullopt);
}

TEST(MessageFilter, SelectsByDirectionAndType) {
    MessageInfo flush{.direction = Direction::to_kernel, .seq = 1, .type = UlogRequestType::flush};
    MessageInfo unknown = flush;
    unknown.bare_ack = true;
    unknown.type.reset();
    MessageFilter any;
    EXPECT_TRUE(any.matches(flush));
    EXPECT_TRUE(any.matches(unknown));
    MessageFilter to_server;
    to_server.to_kernel = false;
    EXPECT_FALSE(to_server.matches(flush));
    MessageFilter marks{.types = {UlogRequestType::mark_region, UlogRequestType::flush}};
    EXPECT_TRUE(marks.matches(flush));
    EXPECT_FALSE(marks.matches(unknown));  // a type list never matches an unknown type
    flush.type = UlogRequestType::clear_region;
    EXPECT_FALSE(marks.matches(flush));
}

TEST(TransportFaultEvent, OneLineWithWhatIsKnown) {
    TransportFaultEvent e{
        emu::TimePoint(15s + 250ms),  "ulog",   3, "drop", Direction::to_userspace, 12u,
        UlogRequestType::mark_region, "dropped"};
    EXPECT_EQ(to_string(e),
              "t=15.250000000 link=ulog fault=3 kind=drop dir=to-server seq=12 type=MARK_REGION "
              "dropped");
    e.direction.reset();
    e.seq.reset();
    e.type.reset();
    e.what = "removed after 20s";
    EXPECT_EQ(to_string(e), "t=15.250000000 link=ulog fault=3 kind=drop removed after 20s");
}

TEST(TransportFaultEvent, DurationsTakeTheLargestUnitThatDivides) {
    EXPECT_EQ(format_fault_duration(20ms), "20ms");
    EXPECT_EQ(format_fault_duration(2s), "2s");
    EXPECT_EQ(format_fault_duration(1500us), "1500us");
    EXPECT_EQ(format_fault_duration(emu::Duration(7)), "7ns");
    EXPECT_EQ(format_fault_duration(emu::Duration(0)), "0ns");
}

}  // namespace
}  // namespace dmemu::transfer
