// SPDX-License-Identifier: GPL-2.0-only
// Each step and expectation run in a small scenario, passing when the world is as it says and
// failing, with what it saw, when it is not; and the runner around them.
#include <nlohmann/json.hpp>

#include "scenario_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

constexpr const char* kLinear = R"(
disk d 1M devno=7:0
create lv --table '0 2048 linear 7:0 0'
)";

constexpr const char* kMirror = R"(
disk leg0 1M devno=7:0
disk leg1 1M devno=7:1
create m --table '0 1024 mirror core 1 64 2 7:0 0 7:1 0'
wait-sync m timeout=5s
)";

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(ScenarioSteps, DmStepsRunAsDmsetupAndFailWithItsWords) {
    auto o = run_text(std::string(kLinear) + R"(
expect table lv '0 2048 linear 7:0 0'
expect status lv '0 2048 linear '
expect output '/Name: +lv/' info lv
expect error 'reload ioctl on bad (253:1) failed: No such device' create bad --table '0 8 linear /dev/nosuch 0'
create bad2 --table '0 8 linear /dev/nosuch 0'
)");
    EXPECT_FALSE(o.passed);
    ASSERT_EQ(o.failed.size(), 1u);
    EXPECT_EQ(o.failed[0], "9: create bad2 --table '0 8 linear /dev/nosuch 0'");
    // bad's device was removed again when its load failed (dmsetup create), so bad2 is 253:1.
    EXPECT_EQ(
        o.messages[0],
        "device-mapper: reload ioctl on bad2 (253:1) failed: No such device\nCommand failed.");
}

TEST(ScenarioSteps, ExpectStatusReportsWhatItSaw) {
    auto o = run_text(std::string(kLinear) + "expect table lv '0 2048 linear 7:0 8'\n");
    ASSERT_EQ(o.messages.size(), 1u);
    EXPECT_EQ(
        o.messages[0],
        "table lv printed\n      0 2048 linear 7:0 0\n    expected\n      0 2048 linear 7:0 8");
}

TEST(ScenarioSteps, WritesVerifyAndDataIntactCatchChangedData) {
    auto o = run_text(std::string(kLinear) + R"(
io write lv 0 8k
io verify lv 0 8k
expect data-intact lv
io write d 4k 4k
io verify lv 0 8k
expect data-intact lv
expect io lv writes=1 acked=1 pending=0 failed=0
)");
    ASSERT_EQ(o.failed.size(), 2u);
    EXPECT_EQ(o.failed[0], "9: io verify lv 0 8k");
    EXPECT_TRUE(contains(o.messages[0],
                         "io verify lv: 8 sectors differ; sector 8: read write #2, expected write "
                         "#1 (line 5, 16 sectors at 0, acked)"))
        << o.messages[0];
    EXPECT_TRUE(
        contains(o.messages[1], "8 of 2048 sectors of lv differ from what was acknowledged"))
        << o.messages[1];
}

TEST(ScenarioSteps, LegsIdenticalNamesTheRegionsThatDiffer) {
    auto o = run_text(std::string(kMirror) + R"(
io write m 0 512k
expect legs-identical m
io write leg1 33k 1k
expect legs-identical m
)");
    ASSERT_EQ(o.failed.size(), 1u);
    EXPECT_EQ(o.failed[0], "10: expect legs-identical m");
    EXPECT_EQ(o.messages[0],
              "legs of the mirror at 0 differ in 1 of 16 regions (1); region 1 (sector 66 of the "
              "target): leg 7:0 holds write #1, leg 7:1 holds write #2");
}

TEST(ScenarioSteps, WaitSyncFailsWithTheCountsItSaw) {
    auto o = run_text(R"(
disk d 1M devno=7:0
create bad --table '0 1024 error'
create m --table '0 1024 mirror core 1 64 2 7:0 0 /dev/mapper/bad 0 1 handle_errors'
wait-sync m timeout=5s
)");
    ASSERT_EQ(o.messages.size(), 1u);
    EXPECT_EQ(o.messages[0], "wait-sync m: not in sync after 5s: 0/16");
}

TEST(ScenarioSteps, HeldWritesHangAndCompleteOnResume) {
    auto o = run_text(std::string(kLinear) + R"(
suspend lv
expect hang timeout=5s io write lv 0 4k
expect io lv pending=1
expect error 'did not finish within 1s' io write lv 4k 4k timeout=1s
resume lv
advance 1ms
expect io lv pending=0 acked=2
expect data-intact lv
expect hang timeout=5s advance 1s
)");
    // `expect error` wants a failure: a hang is not one, and it says so.
    ASSERT_EQ(o.failed.size(), 2u) << o.failed.front();
    EXPECT_EQ(o.failed[0],
              "8: expect error 'did not finish within 1s' io write lv 4k 4k timeout=1s");
    EXPECT_EQ(o.messages[0],
              "the step did not finish within 1s (hung), expected it to fail with did not finish "
              "within 1s");
    EXPECT_EQ(o.failed[1], "13: expect hang timeout=5s advance 1s");
    EXPECT_EQ(o.messages[1], "the step finished within 5s (it passed), expected it to hang");
}

TEST(ScenarioSteps, ExpectErrorNeedsAFailureWithTheWords) {
    auto o = run_text(std::string(kLinear) + R"(
expect error 'No such device' table lv
expect error 'nothing like this' create bad --table '0 8 linear /dev/nosuch 0'
expect error '/failed: No such/' create bad2 --table '0 8 linear /dev/nosuch 0'
)");
    ASSERT_EQ(o.failed.size(), 2u);
    EXPECT_EQ(o.messages[0], "the step succeeded, expected it to fail with No such device");
    EXPECT_TRUE(contains(o.messages[1], "expected nothing like this")) << o.messages[1];
}

TEST(ScenarioSteps, BackgroundIoRunsAcrossStepsAndDrains) {
    auto o = run_text(std::string(kMirror) + R"(
io background m writers=3 readers=2 ops=20 think=0..2ms size=4k..16k
suspend m
resume m
io drain
expect io m writes=60 acked=60 failed=0 pending=0 read-errors=0
expect legs-identical m
expect data-intact m
io background m name=b2 writers=1 ops=1000 think=1s
io stop b2
io drain b2
expect error 'no background job' io stop nosuch
)");
    EXPECT_TRUE(o.passed) << (o.failed.empty() ? "" : o.failed[0] + "\n" + o.messages[0]);
}

TEST(ScenarioSteps, LogServerCrashRestartFreezeAndThaw) {
    auto o = run_text(R"(
disk leg0 1M devno=7:0
disk leg1 1M devno=7:1
crash-log-server
expect error 'reload ioctl on m (253:0) failed: Invalid argument' create m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
expect kernel-log 'Userspace log server not found' count=1
expect error 'No such device or address' remove m
restart-log-server
create m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
expect log-request CTR luid=L1 reached=L1 error=0 count=1
wait-sync m
mark f
freeze-log-server
expect hang timeout=20s status m
thaw-log-server
advance 15s
expect kernel-log 'Request timed out' since=f count=1
expect log-request GET_SYNC_COUNT since=f count=2
expect log-request GET_SYNC_COUNT since=f answered=no count=0
expect log-request GET_SYNC_COUNT since=f answered=yes count=2 error=0
)");
    EXPECT_TRUE(o.passed) << (o.failed.empty() ? "" : o.failed[0] + "\n" + o.messages[0]);
}

TEST(ScenarioSteps, LogRequestAssertionsSayWhichObjectARequestReached) {
    auto o = run_text(std::string(kUlogMirror) + R"(
mark swap
load m --table '0 1024 mirror userspace 3 LVM-mlog clustered-core 64 2 7:0 0 7:1 0'
resume m
expect log-request RESUME luid=NEW reached=NEW since=swap
expect log-request DTR luid=OLD reached=OLD error=0 since=swap
expect log-request DTR luid=L1 reached=L1
expect log-request RESUME luid=NEW reached=OLD since=swap
expect log-request DTR count=2
expect log-request GET_SYNC_COUNT luid=L9
expect log-request PRESUSPEND since=nomark
)");
    ASSERT_EQ(o.failed.size(), 4u);
    EXPECT_EQ(o.messages[0],
              "1 of 1 RESUME from NEW (L2) since swap request did not pass: RESUME seq 126 from L2 "
              "reached L2's log, expected OLD (L1)'s log")
        << o.messages[0];
    EXPECT_EQ(o.messages[1], "1 DTR request was sent; expected count=2");
    EXPECT_EQ(o.messages[2], "no GET_SYNC_COUNT from L9 request was sent");
    EXPECT_EQ(o.messages[3], "no mark named 'nomark' was set before this line");
}

TEST(ScenarioRunner, GuardsSkipLinesOfOtherModesAndTheTraceStartsWithTheRun) {
    const std::string text = std::string(kLinear) + R"(
[uuid] expect table lv 'nonsense'
[uuid+luid] expect table lv '0 2048 linear 7:0 0'
)";
    auto a = run_text(text, 5, MatchMode::uuid_luid);
    EXPECT_TRUE(a.passed);
    auto b = run_text(text, 5, MatchMode::uuid);
    EXPECT_EQ(b.failed, (std::vector<std::string>{"5: [uuid] expect table lv 'nonsense'"}));
    ASSERT_FALSE(a.trace.empty());
    auto head = nlohmann::json::parse(a.trace.front());
    EXPECT_EQ(head["kind"], "run");
    EXPECT_EQ(head["file"], "test.scn");
    EXPECT_EQ(head["seed"], 5);
    EXPECT_EQ(head["match"], "uuid+luid");
    EXPECT_EQ(head["hash"], text_hash(text));
    auto tail = nlohmann::json::parse(a.trace.back());
    EXPECT_EQ(tail["kind"], "end");
    EXPECT_EQ(tail["passed"], true);
}

TEST(ScenarioRunner, TraceRecordsDmUlogIoAndKernelEvents) {
    auto o = run_text(std::string(kUlogMirror) + "io write m 0 4k\nexpect data-intact m\n");
    std::set<std::string> kinds;
    bool ctr = false;
    for (const auto& line : o.trace) {
        auto j = nlohmann::json::parse(line);
        kinds.insert(j["kind"]);
        ASSERT_TRUE(j.contains("t_us"));
        if (j["kind"] == "ulog" && j["type"] == "CTR" && j["dir"] == "req") {
            ctr = true;
            EXPECT_EQ(j["luid"], "L1");
            EXPECT_EQ(j["uuid"], "LVM-mlog");
            EXPECT_EQ(j["payload"], "1024 clustered-core 64");
        }
    }
    EXPECT_TRUE(ctr);
    for (const char* k :
         {"run", "step", "result", "expect", "dm", "ioctl", "ulog", "io", "teardown", "end"})
        EXPECT_TRUE(kinds.count(k)) << k;
}

}  // namespace
}  // namespace dmemu::scenario::test
