// SPDX-License-Identifier: GPL-2.0-only
// corrupt: a truncated reply gets the kernel's "Incomplete message received" and a timeout; a
// truncated request is dropped by the server; bit flips are rejected or handled, never a crash.
#include <cstring>
#include <set>

#include "tests/transport_faults/transport_faults_fixture.hpp"

namespace dmemu::transfer::faults_test {
namespace {

constexpr std::uint32_t kGetRegionSize = 6;
constexpr std::uint32_t kClearRegion = 11;

TEST(TransportCorrupt, TruncatedReplyIsIncompleteThenTimesOutAndIsResent) {
    FaultedWorld w("corrupt mode=truncate dir=to-kernel times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.now(), 15s);
    const auto lines = w.kernel_lines();
    ASSERT_EQ(lines.size(), 2u);
    // cmirrord sends replies with cn_msg.seq 0: that is the seq the kernel prints.
    const std::string head =
        std::string(kPrefix) + "Incomplete message received (expected 160, got ";
    ASSERT_TRUE(lines[0].starts_with(head) && lines[0].ends_with("): [0]")) << lines[0];
    const int got = std::stoi(lines[0].substr(head.size()));
    EXPECT_GE(got, 1);
    EXPECT_LT(got, 160);
    EXPECT_EQ(lines[1], timed_out(kGetRegionSize, w.seq));
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_EQ(w.events[0].what, "truncated to " + std::to_string(20 + got) +
                                    " of 188 bytes (cn_msg.len " + std::to_string(got) + ")");
}

TEST(TransportCorrupt, TruncatedRequestIsDroppedByTheServerThenResent) {
    FaultedWorld w("corrupt mode=truncate dir=to-server times=1");
    EXPECT_EQ(w.region_size(), 1024u);
    EXPECT_EQ(w.server.connection()->dropped(), 1u);
    EXPECT_EQ(w.server_seqs(UlogRequestType::get_region_size),
              std::vector<std::uint32_t>{w.seq + 1});
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kGetRegionSize, w.seq)});
}

TEST(TransportCorrupt, TruncatedBareAckIsDroppedByTheConnectorThenResent) {
    World w;
    w.create_log();
    // CLEAR_REGION is answered with a bare ack: known as CLEAR_REGION by its seq only.
    w.add("corrupt mode=truncate dir=to-kernel type=CLEAR_REGION times=1");
    const std::uint32_t seq = w.endpoint.next_seq();
    EXPECT_EQ(w.consult(UlogRequestType::clear_region, encode_payload(RegionList{{3}})).error, 0);
    EXPECT_EQ(w.kernel_lines(), std::vector<std::string>{timed_out(kClearRegion, seq)});
    ASSERT_EQ(w.events.size(), 1u);
    EXPECT_EQ(w.events[0].type, UlogRequestType::clear_region);
    EXPECT_EQ(w.events[0].seq, seq);
    EXPECT_TRUE(w.events[0].what.starts_with("truncated to ")) << w.events[0].what;
    EXPECT_TRUE(w.events[0].what.ends_with(" of 20 bytes")) << w.events[0].what;
}

TEST(TransportCorrupt, BitflipNamesTheFieldItHit) {
    FaultedWorld w("corrupt dir=to-server times=1");
    (void)w.consult(UlogRequestType::get_region_size, {}, 8);
    ASSERT_EQ(w.events.size(), 1u);
    const std::string& what = w.events[0].what;
    const std::size_t at = what.find(" flipped (");
    ASSERT_TRUE(what.starts_with("bit ") && at != std::string::npos && what.ends_with(")")) << what;
    const std::set<std::string> fields{"cn_msg.id.idx", "cn_msg.id.val", "cn_msg.seq", "cn_msg.ack",
                                       "cn_msg.len",    "cn_msg.flags",  "luid",       "uuid",
                                       "padding",       "version",       "error",      "seq",
                                       "request_type",  "data_size",     "data"};
    EXPECT_TRUE(fields.contains(what.substr(at + 10, what.size() - at - 11))) << what;
}

// The kernel lines a bit flip may cause; anything else (or a crash, or a consult that never
// ends) fails.
bool expected_under_bitflips(const std::string& line) {
    if (!line.starts_with(kPrefix)) return false;
    const std::string_view text = std::string_view(line).substr(std::strlen(kPrefix));
    return text.starts_with("[testuuid] Request timed out: [") ||
           text.starts_with("Incomplete message received (expected 160, got ") ||
           text.starts_with("Insufficient space to receive package [");
}

TEST(TransportCorrupt, BitflipsAreRejectedOrHandledNeverACrash) {
    std::uint64_t fired = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        World w(seed);
        w.create_log();
        w.add("corrupt p=0.3 mode=bitflip");
        for (int i = 0; i < 12; ++i) {
            auto slot =
                w.start(i % 3 == 0   ? UlogRequestType::get_sync_count
                        : i % 3 == 1 ? UlogRequestType::is_clean
                                     : UlogRequestType::mark_region,
                        i % 3 == 0 ? test::Bytes{} : encode_payload(Region{std::uint64_t(i)}), 8);
            w.clock.run_until_idle();
            ASSERT_TRUE(*slot) << "seed " << seed << " consult " << i << " never ended";
        }
        for (const auto& line : w.kernel_lines())
            EXPECT_TRUE(expected_under_bitflips(line)) << "seed " << seed << ": " << line;
        fired += w.faults.list().at(0).fired;
    }
    EXPECT_GT(fired, 40u);
}

}  // namespace
}  // namespace dmemu::transfer::faults_test
