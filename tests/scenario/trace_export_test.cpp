// SPDX-License-Identifier: GPL-2.0-only
// `dmemu trace export --format perfetto` (emu/sim/trace_export.hpp): the Chrome/Perfetto
// trace-event schema on traces of real fixture runs, and the mapping on small traces written
// here: a ulog request and its reply are one slice, an ioctl a slice on its device's track,
// faults and kernel lines instants on their source's track, time the trace's virtual time.
#include "emu/sim/trace_export.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "trace_test_support.hpp"

namespace dmemu::scenario::test {
namespace {

using OJson = nlohmann::ordered_json;

struct Track {
    int pid = 0, tid = 0;
    auto operator<=>(const Track&) const = default;
};

Track track_of(const OJson& e) { return {e.at("pid").get<int>(), e.at("tid").get<int>()}; }

// Thread names of an export, by track.
std::map<Track, std::string> thread_names(const OJson& doc) {
    std::map<Track, std::string> names;
    for (const auto& e : doc["traceEvents"])
        if (e["ph"] == "M" && e["name"] == "thread_name")
            names[track_of(e)] = e.at("args").at("name").get<std::string>();
    return names;
}

std::vector<OJson> events_of(const OJson& doc, const std::string& ph, const std::string& cat) {
    std::vector<OJson> out;
    for (const auto& e : doc["traceEvents"])
        if (e["ph"] == ph && e.value("cat", "") == cat) out.push_back(e);
    return out;
}

std::size_t count_kind(const TraceFile& t, const std::string& kind, const char* dir = nullptr) {
    std::size_t n = 0;
    for (const auto& e : t.events)
        if (e.json["kind"] == kind && (dir == nullptr || e.json.value("dir", "") == dir)) ++n;
    return n;
}

// Every event has what its phase needs; every track it uses is named.
void expect_schema(const OJson& doc) {
    ASSERT_TRUE(doc.is_object());
    ASSERT_TRUE(doc.contains("traceEvents"));
    ASSERT_TRUE(doc["traceEvents"].is_array());
    EXPECT_EQ(doc["displayTimeUnit"], "ns");
    std::set<int> named_processes;
    std::map<Track, std::string> names;
    std::set<std::pair<int, std::string>> name_per_process;
    std::set<Track> used;
    for (const auto& e : doc["traceEvents"]) {
        ASSERT_TRUE(e.is_object()) << e.dump();
        ASSERT_TRUE(e.contains("name") && e["name"].is_string()) << e.dump();
        ASSERT_TRUE(e.contains("ph") && e["ph"].is_string()) << e.dump();
        ASSERT_TRUE(e.contains("pid") && e["pid"].is_number_integer()) << e.dump();
        ASSERT_TRUE(e.contains("tid") && e["tid"].is_number_integer()) << e.dump();
        const std::string ph = e["ph"];
        if (ph == "M") {
            ASSERT_TRUE(e.contains("args") && e["args"].is_object()) << e.dump();
            if (e["name"] == "process_name") named_processes.insert(e["pid"].get<int>());
            if (e["name"] == "thread_name") {
                ASSERT_TRUE(e.at("args").at("name").is_string()) << e.dump();
                names[track_of(e)] = e.at("args").at("name");
                EXPECT_TRUE(
                    name_per_process
                        .insert({e["pid"].get<int>(), e.at("args").at("name").get<std::string>()})
                        .second)
                    << "two tracks named " << e.at("args").at("name") << " in process " << e["pid"];
            }
            continue;
        }
        ASSERT_TRUE(ph == "X" || ph == "i") << e.dump();
        ASSERT_TRUE(e.contains("ts") && e["ts"].is_number()) << e.dump();
        EXPECT_GE(e["ts"].get<double>(), 0.0) << e.dump();
        ASSERT_TRUE(e.contains("cat") && e["cat"].is_string()) << e.dump();
        ASSERT_TRUE(e.contains("args") && e["args"].is_object()) << e.dump();
        if (ph == "X") {
            ASSERT_TRUE(e.contains("dur") && e["dur"].is_number()) << e.dump();
            EXPECT_GE(e["dur"].get<double>(), 0.0) << e.dump();
        } else {
            ASSERT_TRUE(e.contains("s")) << e.dump();
            EXPECT_TRUE(e["s"] == "t" || e["s"] == "p" || e["s"] == "g") << e.dump();
        }
        used.insert(track_of(e));
    }
    for (const auto& t : used) {
        EXPECT_TRUE(named_processes.contains(t.pid)) << "process " << t.pid << " has no name";
        EXPECT_TRUE(names.contains(t)) << "track " << t.pid << "/" << t.tid << " has no name";
    }
}

// Slices of one track must nest for the viewers; ours never overlap at all.
void expect_no_overlap(const OJson& doc) {
    std::map<Track, std::vector<std::pair<std::int64_t, std::int64_t>>> spans;
    for (const auto& e : doc["traceEvents"])
        if (e["ph"] == "X") {
            const auto ts = std::llround(e["ts"].get<double>() * 1000);
            spans[track_of(e)].emplace_back(ts, ts + std::llround(e["dur"].get<double>() * 1000));
        }
    const auto names = thread_names(doc);
    for (auto& [track, v] : spans) {
        std::sort(v.begin(), v.end());
        for (std::size_t i = 1; i < v.size(); ++i)
            EXPECT_LE(v[i - 1].second, v[i].first) << "overlap on " << names.at(track);
    }
}

class TraceExportOfPvmoveSwap : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        trace_ = new TraceFile(fixture_trace("pvmove-swap.scn", 1, MatchMode::uuid_first));
        doc_ = new OJson(perfetto_trace(*trace_));
    }
    static void TearDownTestSuite() {
        delete doc_;
        delete trace_;
    }
    static TraceFile* trace_;
    static OJson* doc_;
};
TraceFile* TraceExportOfPvmoveSwap::trace_ = nullptr;
OJson* TraceExportOfPvmoveSwap::doc_ = nullptr;

TEST_F(TraceExportOfPvmoveSwap, HasTheTraceEventSchema) {
    expect_schema(*doc_);
    EXPECT_EQ((*doc_)["otherData"]["match"], "uuid-first");
    EXPECT_EQ((*doc_)["otherData"]["seed"], 1);
}

TEST_F(TraceExportOfPvmoveSwap, SlicesOfATrackNeverOverlap) { expect_no_overlap(*doc_); }

TEST_F(TraceExportOfPvmoveSwap, OneTrackPerDeviceAndPerLogInstance) {
    std::set<std::string> names;
    for (const auto& [t, n] : thread_names(*doc_)) names.insert(n);
    for (const char* n : {"steps", "src", "dst", "lv", "pvmove0", "L1 LVM-vg0pvmove0-pvmove",
                          "L2 LVM-vg0pvmove0-pvmove"})
        EXPECT_TRUE(names.contains(n)) << n;
}

TEST_F(TraceExportOfPvmoveSwap, EachRequestAndItsReplyAreOneSlice) {
    const auto slices = events_of(*doc_, "X", "ulog");
    EXPECT_EQ(slices.size(), count_kind(*trace_, "ulog", "req"));
    EXPECT_EQ(count_kind(*trace_, "ulog", "req"),
              count_kind(*trace_, "ulog", "rep") + count_kind(*trace_, "ulog", "ack"))
        << "every request of this run is answered";
    // L2's GET_REGION_SIZE, the first request that reaches L1's object in uuid-first: one
    // slice from the request to the reply, named for where it went.
    const TraceEvent *req = nullptr, *rep = nullptr;
    for (const auto& e : trace_->events) {
        const auto& j = e.json;
        if (j["kind"] != "ulog" || j["type"] != "GET_REGION_SIZE" || j["luid"] != "L2") continue;
        (j["dir"] == "req" ? req : rep) = &e;
        if (rep) break;
    }
    ASSERT_TRUE(req && rep);
    const auto names = thread_names(*doc_);
    std::vector<OJson> found;
    for (const auto& s : slices)
        if (s.at("args").at("seq") == req->json["seq"]) found.push_back(s);
    ASSERT_EQ(found.size(), 1u);
    const OJson& s = found.front();
    EXPECT_EQ(s["name"], "GET_REGION_SIZE reached=L1");
    EXPECT_EQ(names.at(track_of(s)), "L2 LVM-vg0pvmove0-pvmove");
    EXPECT_EQ(std::floor(s["ts"].get<double>()), req->json["t_us"].get<double>());
    EXPECT_EQ(std::floor(s["ts"].get<double>() + s["dur"].get<double>()),
              rep->json["t_us"].get<double>());
    EXPECT_EQ(s.at("args").at("reached"), "L1");
    EXPECT_EQ(s.at("args").at("reply"), "64");
    EXPECT_EQ(s.at("args").at("uuid"), "LVM-vg0pvmove0-pvmove");
}

TEST_F(TraceExportOfPvmoveSwap, IoctlsAreSlicesOnTheirDevicesTrack) {
    const auto slices = events_of(*doc_, "X", "ioctl");
    EXPECT_EQ(slices.size(), count_kind(*trace_, "ioctl"));
    const auto names = thread_names(*doc_);
    std::size_t loads = 0;
    for (const auto& s : slices) {
        // create's table_load names no device: the reply's is its "dev".
        const std::string device =
            s.at("args").value("name", s.at("args").value("dev", "(no device)"));
        EXPECT_EQ(names.at(track_of(s)).rfind(device, 0), 0u) << s.dump();
        if (s["name"] == "table_load" && device == "pvmove0") ++loads;
    }
    EXPECT_EQ(loads, 2u);
}

TEST_F(TraceExportOfPvmoveSwap, StepsAreSlicesAndFailedOnesSayFail) {
    const auto steps = events_of(*doc_, "X", "step");
    EXPECT_EQ(steps.size(), count_kind(*trace_, "step"));
    std::vector<std::string> failed;
    for (const auto& s : steps)
        if (s.at("args").at("ok") == false) failed.push_back(s["name"]);
    EXPECT_EQ(failed,
              (std::vector<std::string>{
                  "FAIL io write lv 1532k 4k timeout=30s", "FAIL wait-sync pvmove0 timeout=30s",
                  "FAIL io drain timeout=30s", "FAIL expect legs-identical pvmove0"}));
    for (const auto& s : steps) {
        if (s["name"] == "FAIL io write lv 1532k 4k timeout=30s") {
            EXPECT_NEAR(s["dur"].get<double>(), 30e6, 1.0);  // hung for its 30 s limit
        }
    }
}

TEST(TraceExport, FaultsAreInstantsOnTheirSourcesTrack) {
    const TraceFile trace =
        fixture_trace("faults/power-cut-during-resync.scn", 2, MatchMode::uuid_luid);
    const OJson doc = perfetto_trace(trace);
    expect_schema(doc);
    expect_no_overlap(doc);
    const auto faults = events_of(doc, "i", "fault");
    ASSERT_EQ(faults.size(), count_kind(trace, "fault"));
    ASSERT_FALSE(faults.empty());
    const auto names = thread_names(doc);
    std::set<std::string> sources;
    for (const auto& f : faults) {
        EXPECT_EQ(names.at(track_of(f)), f.at("args").at("where")) << f.dump();
        EXPECT_EQ(f["name"], f.at("args").at("fault")) << f.dump();
        sources.insert(f.at("args").at("where"));
    }
    EXPECT_TRUE(sources.contains("machine"));
}

TEST(TraceExport, KernelLinesAreInstantsAndLateRepliesEndTheirSlices) {
    const TraceFile trace = fixture_trace("log-server-timeouts.scn", 1, MatchMode::uuid_luid);
    const OJson doc = perfetto_trace(trace);
    expect_schema(doc);
    expect_no_overlap(doc);
    const auto names = thread_names(doc);
    const auto kernel = events_of(doc, "i", "kernel");
    EXPECT_EQ(kernel.size(), count_kind(trace, "kernel"));
    ASSERT_FALSE(kernel.empty());
    for (const auto& k : kernel) EXPECT_EQ(names.at(track_of(k)), "kernel");
    // The frozen server keeps the ten GET_SYNC_COUNTs sent 15 s apart and answers them all at the
    // thaw (140 s after the freeze): each slice ends there, the older ones in lanes of their own.
    double thaw_us = -1;
    for (const auto& e : trace.events)
        if (e.json["kind"] == "step" && e.json["text"] == "thaw-log-server")
            thaw_us = e.json["t_us"].get<double>();
    ASSERT_GT(thaw_us, 140e6);
    std::size_t ending_at_thaw = 0;
    for (const auto& s : events_of(doc, "X", "ulog"))
        if (s["name"] == "GET_SYNC_COUNT" &&
            std::abs(s["ts"].get<double>() + s["dur"].get<double>() - thaw_us) < 1.0)
            ++ending_at_thaw;
    EXPECT_EQ(ending_at_thaw, 10u);
}

TEST(TraceExport, AnUnansweredRequestEndsAtTheResend) {
    const std::vector<std::string> lines = {
        R"({"t_us":0,"kind":"run","file":"x.scn","hash":"fnv1a64:0","seed":1,"match":"uuid+luid","steps":1})",
        R"({"t_us":0,"kind":"step","line":1,"text":"status m"})",
        R"({"t_us":0,"kind":"ulog","dir":"req","type":"GET_SYNC_COUNT","uuid":"U","luid":"L1","seq":1,"size":0})",
        R"({"t_us":15000000,"kind":"kernel","level":"warn","text":"device-mapper: dm-log-userspace: [U] Request timed out: [14/1] - retrying"})",
        R"({"t_us":15000000,"kind":"ulog","dir":"req","type":"GET_SYNC_COUNT","uuid":"U","luid":"L1","seq":2,"size":0})",
        R"({"t_us":15000000,"kind":"ulog","dir":"rep","type":"GET_SYNC_COUNT","luid":"L1","seq":2,"error":0,"payload":"16","server":1,"instance":1,"reached":"L1"})",
    };
    const OJson doc = perfetto_trace(as_trace(lines, "x.jsonl"));
    expect_schema(doc);
    std::size_t unanswered = 0;
    for (const auto& s : events_of(doc, "X", "ulog"))
        if (s["name"] == "GET_SYNC_COUNT (no reply)") {
            ++unanswered;
            EXPECT_EQ(s.at("args").at("answered"), false);
            EXPECT_NEAR(s["dur"].get<double>(), 15e6, 1.0) << s.dump();
        }
    EXPECT_EQ(unanswered, 1u);
}

// A small trace written here: the exact times of each slice.
const std::vector<std::string> kLoadWithCtr = {
    R"({"t_us":0,"kind":"run","file":"x.scn","hash":"fnv1a64:0","seed":4,"match":"uuid","steps":1})",
    R"({"t_us":5,"kind":"step","line":3,"text":"load m --table '...'"})",
    R"({"t_us":5,"kind":"ulog","dir":"req","type":"CTR","uuid":"U","luid":"L1","seq":7,"size":3,"payload":"a b"})",
    R"({"t_us":7,"kind":"ulog","dir":"rep","type":"CTR","luid":"L1","seq":7,"error":0,"server":1,"instance":1,"reached":"L1"})",
    R"({"t_us":7,"kind":"ioctl","cmd":"table_load","name":"m","error":0,"latency_us":2})",
    R"({"t_us":7,"kind":"dm","cmd":"load m --table '...'","exit":0})",
    R"({"t_us":7,"kind":"kernel","level":"err","text":"device-mapper: table: 253:0: oops"})",
    R"({"t_us":9,"kind":"result","line":3,"ok":true})",
    R"({"t_us":9,"kind":"tampered"})",
};

const OJson* find_named(const OJson& doc, const std::string& name) {
    for (const auto& e : doc["traceEvents"])
        if (e["name"] == name && e["ph"] != "M") return &e;
    return nullptr;
}

TEST(TraceExport, TimesAreVirtualMicrosecondsOrderedWithinOneByTheTrace) {
    const OJson doc = perfetto_trace(as_trace(kLoadWithCtr, "x.jsonl"));
    expect_schema(doc);
    const auto names = thread_names(doc);
    const OJson* step = find_named(doc, "load m --table '...'");
    ASSERT_TRUE(step);
    EXPECT_DOUBLE_EQ((*step)["ts"].get<double>(), 5.0);
    EXPECT_DOUBLE_EQ((*step)["dur"].get<double>(), 4.0);
    EXPECT_EQ((*step).at("args").at("dmsetup").at(0).at("exit"), 0);
    const OJson* ctr = find_named(doc, "CTR");
    ASSERT_TRUE(ctr);
    EXPECT_DOUBLE_EQ((*ctr)["ts"].get<double>(), 5.001);  // second event of microsecond 5
    EXPECT_NEAR((*ctr)["dur"].get<double>(), 7.0 - 5.001, 1e-9);
    EXPECT_EQ((*ctr).at("args").at("request"), "a b");
    EXPECT_EQ(names.at(track_of(*ctr)), "L1 U");
    // 2 us back from its line (7.001) is 5.000, the step's own microsecond: just after the step.
    const OJson* load = find_named(doc, "table_load");
    ASSERT_TRUE(load);
    EXPECT_DOUBLE_EQ((*load)["ts"].get<double>(), 5.001);
    EXPECT_NEAR((*load)["dur"].get<double>(), 7.001 - 5.001, 1e-9);
    EXPECT_EQ(names.at(track_of(*load)), "m");
    const OJson* kernel = find_named(doc, "device-mapper: table: 253:0: oops");
    ASSERT_TRUE(kernel);
    EXPECT_EQ((*kernel)["ph"], "i");
    EXPECT_DOUBLE_EQ((*kernel)["ts"].get<double>(), 7.003);
    const OJson* unknown = find_named(doc, "tampered");
    ASSERT_TRUE(unknown) << "kinds it does not know are kept as instants";
    EXPECT_EQ(names.at(track_of(*unknown)), "steps");
}

TEST(TraceExport, ABadFieldIsAnErrorNamingTheLine) {
    auto lines = kLoadWithCtr;
    lines[3] = R"({"t_us":7,"kind":"ulog","dir":"rep","type":"CTR","luid":"L1","seq":"7"})";
    try {
        perfetto_trace(as_trace(lines, "x.jsonl"));
        FAIL() << "no error";
    } catch (const TraceFileError& e) {
        EXPECT_STREQ(e.what(), R"(trace: x.jsonl:4: kind ulog: "seq" is a string: "7")");
    }
}

TEST(TraceFile, CorruptLinesAreErrorsNamingFileAndLine) {
    auto error_of = [](std::vector<std::string> lines) {
        try {
            as_trace(lines, "t.jsonl");
        } catch (const TraceFileError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(error_of({kLoadWithCtr[0], R"({"t_us":1,"kind":"step")"}),
              "trace: t.jsonl:2: not JSON: parse error at line 1, column 24: syntax error while "
              "parsing object - unexpected end of input; expected '}'");
    EXPECT_EQ(error_of({kLoadWithCtr[0], "", "[1,2]"}),
              "trace: t.jsonl:3: expected a JSON object, got [1,2]");
    EXPECT_EQ(error_of({R"({"kind":"run"})"}), "trace: t.jsonl:1: no \"t_us\"");
    EXPECT_EQ(error_of({R"({"t_us":1.5,"kind":"run"})"}),
              "trace: t.jsonl:1: \"t_us\" is not an integer: 1.5");
    EXPECT_EQ(error_of({R"({"t_us":-1,"kind":"run"})"}),
              "trace: t.jsonl:1: \"t_us\" is out of range: -1");
    EXPECT_EQ(error_of({R"({"t_us":1,"kind":3})"}),
              "trace: t.jsonl:1: \"kind\" is not a string: 3");
    EXPECT_EQ(error_of({}), "trace: t.jsonl: no events");
    try {
        read_trace("/nonexistent/t.jsonl");
        FAIL() << "no error";
    } catch (const TraceFileError& e) {
        EXPECT_STREQ(e.what(),
                     "trace: cannot read '/nonexistent/t.jsonl': No such file or directory");
    }
}

}  // namespace
}  // namespace dmemu::scenario::test
