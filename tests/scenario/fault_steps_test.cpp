// SPDX-License-Identifier: GPL-2.0-only
// The fault steps (fault disk|transport|clear, power-cut, crash-log-server at=): each fires where
// and when it says and nowhere else, every firing is a "fault" line of the trace, and the same
// seed gives the same trace.
#include <nlohmann/json.hpp>

#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

constexpr const char* kDisk = R"(
disk d 1M devno=7:0
)";

using nlohmann::json;

// The trace's "fault" lines.
std::vector<json> fault_lines(const Outcome& o) {
    std::vector<json> out;
    for (const auto& l : o.trace) {
        auto j = json::parse(l);
        if (j["kind"] == "fault") out.push_back(j);
    }
    return out;
}

std::string failures(const Outcome& o) {
    std::string out;
    for (std::size_t i = 0; i < o.failed.size(); ++i)
        out += o.failed[i] + "\n    " + o.messages[i] + "\n";
    return out;
}

TEST(FaultSteps, DiskEioFailsWritesInItsRangeOnly) {
    auto o = run_text(std::string(kDisk) + R"(
fault disk d eio sectors=0-7 op=write
expect error 'io write d sector 0+8: -EIO' io write d 0 4k
io write d 4k 4k
io read d 0 4k
)");
    EXPECT_TRUE(o.passed) << failures(o);
    const auto faults = fault_lines(o);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0]["where"], "disk d");
    EXPECT_EQ(faults[0]["fault"], "eio");
    EXPECT_EQ(faults[0]["sectors"], "0+8");
}

TEST(FaultSteps, FaultClearRemovesDiskFaults) {
    auto o = run_text(std::string(kDisk) + R"(
fault disk d eio op=write
expect error '-EIO' io write d 0 4k
fault clear disk d
io write d 0 4k
expect data-intact d
)");
    EXPECT_TRUE(o.passed) << failures(o);
    EXPECT_EQ(fault_lines(o).size(), 1u);
}

TEST(FaultSteps, BadSpecsAreParseErrorsInTheFaultParsersWords) {
    auto parse = [](const std::string& text) -> std::string {
        try {
            parse_scenario(text, "x.scn", builtin_step_registry());
        } catch (const std::exception& e) {
            return e.what();
        }
        return "parsed";
    };
    EXPECT_NE(parse("fault disk d eio sectors=200-100\n").find("fault: eio: bad sector range"),
              std::string::npos);
    EXPECT_NE(parse("fault transport up drop\n").find("expected to-server, to-kernel or both"),
              std::string::npos);
    EXPECT_NE(parse("fault transport both drop bogus=1\n").find("unknown parameter 'bogus'"),
              std::string::npos);
    EXPECT_NE(parse("fault transport to-server cut\n").find("a cut refuses every direction"),
              std::string::npos);
    EXPECT_NE(parse("crash-log-server at=FLUSHH\n").find("expected at=TYPE"), std::string::npos);
    EXPECT_NE(parse("crash-log-server luid=older\n").find("expected luid=old|new|Ln"),
              std::string::npos);
    EXPECT_EQ(parse("fault clear\nfault clear all\nfault clear disk\nfault clear disk d\n"
                    "fault clear transport\n"),
              "parsed");
}

TEST(FaultSteps, UnknownDiskFailsAtRunTime) {
    auto o = run_text("expect error \"fault: no disk named 'nosuch'\" fault disk nosuch eio\n");
    EXPECT_TRUE(o.passed) << failures(o);
}

TEST(FaultSteps, TransportDropOnceCostsOneKernelTimeout) {
    auto o = run_text(std::string(kUlogMirror) + R"(
mark drop
fault transport to-server drop times=1 type=STATUS_INFO
status m
expect kernel-log 'Request timed out' since=drop count=1
expect log-request STATUS_INFO since=drop count=2
status m
expect kernel-log 'Request timed out' since=drop count=1
)");
    EXPECT_TRUE(o.passed) << failures(o);
    const auto faults = fault_lines(o);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0]["where"], "ulog");
    EXPECT_EQ(faults[0]["fault"], "drop");
    EXPECT_EQ(faults[0]["dir"], "to-server");
    EXPECT_EQ(faults[0]["type"], "STATUS_INFO");
}

TEST(FaultSteps, TransportFaultsClearAndCutRefusesSends) {
    auto o = run_text_isolated(std::string(kUlogMirror) + R"(
mark cut
fault transport both cut
expect kernel-log 'Unable to send log request' since=cut count=0
expect hang timeout=5s status m
expect kernel-log 'Unable to send log request' since=cut count>=1
fault clear transport
expect kernel-log 'Attempting to contact userspace log server' since=cut count>=1
)");
    EXPECT_TRUE(o.passed) << failures(o);
    EXPECT_GE(fault_lines(o).size(), 1u);
}

// Armed at a type, the server dies on that request and no other: the request is lost, the
// kernel times out after 15 s, its resend finds no server (-ESRCH) and the reconnect loop runs
// until the server is back.
TEST(FaultSteps, CrashAtTypeFiresOnThatRequestOnly) {
    auto o = run_text(std::string(kUlogMirror) + R"(
mark armed
crash-log-server at=STATUS_INFO
io write m 0 4k
expect log-request MARK_REGION since=armed answered=yes count>=1
expect hang timeout=20s status m
expect log-request STATUS_INFO since=armed answered=no count=1
expect kernel-log 'Request timed out' since=armed count=1
expect kernel-log 'Userspace log server not found' since=armed count=1
restart-log-server
advance 3s
expect kernel-log 'Reconnected to userspace log server' since=armed count=1
status m
)");
    EXPECT_TRUE(o.passed) << failures(o);
    const auto faults = fault_lines(o);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0]["where"], "log-server");
    EXPECT_EQ(faults[0]["type"], "STATUS_INFO");
    EXPECT_EQ(faults[0]["luid"], "L1");
}

TEST(FaultSteps, CrashLuidNewWaitsForTheNewLog) {
    auto o = run_text(std::string(kUlogMirror) + R"(
mark armed
crash-log-server at=CTR luid=new
status m
expect error 'reload ioctl on m2' create m2 --uuid LVM-m2 --table '0 1024 mirror userspace 3 LVM-m2log clustered-core 64 2 7:0 0 7:1 0'
expect log-request CTR since=armed luid=L2 answered=no count=1
restart-log-server
)");
    EXPECT_TRUE(o.passed) << failures(o);
    const auto faults = fault_lines(o);
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0]["luid"], "L2");
    EXPECT_EQ(faults[0]["type"], "CTR");
}

TEST(FaultSteps, PowerCutKeepsAcknowledgedDataAndTheDisksNumbers) {
    auto o = run_text_isolated(std::string(kDisk) + R"(
create lv --table '0 2048 linear 7:0 0'
io write lv 0 64k
power-cut
expect error 'no device named' expect data-intact lv
create lv --table '0 2048 linear 7:0 0'
expect data-intact lv
io verify lv 0 64k
)");
    EXPECT_TRUE(o.passed) << failures(o);
    const auto faults = fault_lines(o);
    ASSERT_FALSE(faults.empty());
    EXPECT_EQ(faults.back()["where"], "machine");
    EXPECT_EQ(faults.back()["fault"], "power-cut");
}

TEST(FaultSteps, PowerCutLosesWritesInFlightWithoutFailingThem) {
    auto o = run_text_isolated(std::string(kDisk) + R"(
fault disk d latency ms=100
io background d writers=1 ops=1000 think=0
advance 250ms
power-cut
expect io d lost=1 failed=0
expect io d acked>=2
expect data-intact d
io write d 0 4k
expect data-intact d
)");
    EXPECT_TRUE(o.passed) << failures(o);
    bool lost = false;
    for (const auto& f : fault_lines(o)) lost = lost || f["what"] == "in-flight write lost";
    EXPECT_TRUE(lost);
}

TEST(FaultSteps, PowerCutDropsAVolatileCacheAndDataIntactAllowsIt) {
    auto o = run_text_isolated(std::string(kDisk) + R"(
fault disk d lost-unflushed
io write d 0 4k
power-cut
expect data-intact d
io read d 0 4k
)");
    EXPECT_TRUE(o.passed) << failures(o);
}

TEST(FaultSteps, SameSeedSameTraceWithFaults) {
    const std::string text = std::string(kUlogMirror) + R"(
fault disk leg1 latency dist=uniform:1-5ms
fault transport to-server drop p=0.05 type=MARK_REGION,FLUSH,IN_SYNC,GET_SYNC_COUNT
fault transport to-kernel duplicate p=0.05 type=MARK_REGION,FLUSH,IN_SYNC
io background m writers=2 ops=20 think=0..2ms
io drain timeout=5m
power-cut
create m --uuid LVM-m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
wait-sync m timeout=5m
expect legs-identical m
expect data-intact m
)";
    auto a = run_text_isolated(text, 5);
    auto b = run_text_isolated(text, 5);
    auto c = run_text_isolated(text, 6);
    EXPECT_TRUE(a.passed) << failures(a);
    EXPECT_EQ(a.trace, b.trace);
    EXPECT_NE(a.trace, c.trace);
    EXPECT_GE(fault_lines(a).size(), 3u);
}

}  // namespace
}  // namespace dmemu::scenario::test
