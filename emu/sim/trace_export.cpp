// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/trace_export.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace dmemu::scenario {

namespace {

using OJson = nlohmann::ordered_json;

enum class Process : int { scenario = 1, devices, logs, faults, messages, io };

constexpr Process kProcesses[] = {Process::scenario, Process::devices,  Process::logs,
                                  Process::faults,   Process::messages, Process::io};

const char* process_name(Process p) {
    switch (p) {
        case Process::scenario:
            return "scenario";
        case Process::devices:
            return "devices";
        case Process::logs:
            return "userspace logs";
        case Process::faults:
            return "faults";
        case Process::messages:
            return "messages";
        case Process::io:
            return "scenario I/O";
    }
    return "?";
}

constexpr const char* kStepsTrack = "steps";
constexpr std::size_t kNameLength = 80;

// A slice or instant title: one line, at most kNameLength characters.
std::string title(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    if (text.size() > kNameLength) text = text.substr(0, kNameLength - 3) + "...";
    return text;
}

// The event's fields but the stamp ("t_us", "kind") and those named.
OJson fields_except(const OJson& j, std::initializer_list<const char*> skip = {}) {
    OJson args = OJson::object();
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "t_us" || it.key() == "kind") continue;
        if (std::find(skip.begin(), skip.end(), it.key()) != skip.end()) continue;
        args[it.key()] = it.value();
    }
    return args;
}

std::string str(const OJson& j, const char* key, const char* fallback) {
    return event_field<std::string>(j, key, fallback);
}
std::int64_t num(const OJson& j, const char* key, std::int64_t fallback) {
    return event_field<std::int64_t>(j, key, fallback);
}
bool flag(const OJson& j, const char* key, bool fallback) {
    return event_field<bool>(j, key, fallback);
}

std::string with_error(std::string name, std::int64_t error) {
    return error == 0 ? name : fmt::format("{} error={}", name, error);
}

struct TrackKey {
    Process process;
    std::string name;
    auto operator<=>(const TrackKey&) const = default;
};

struct Slice {
    TrackKey track;
    std::string name, cat;
    std::int64_t start = 0, end = 0;
    OJson args;
    std::size_t order = 0;  // creation order, for stable output
    int lane = 0;
};

struct Instant {
    TrackKey track;
    std::string name, cat;
    std::int64_t ts = 0;
    OJson args;
    std::size_t order = 0;
};

struct OpenStep {
    std::int64_t line = 0;
    std::string text;
    std::int64_t start = 0;
    OJson dmsetup = OJson::array();
};

struct PendingRequest {
    std::size_t index = 0;  // among requests, in trace order
    std::string luid, track, type;
    std::int64_t start = 0;
    OJson args;
};

class PerfettoBuilder {
public:
    explicit PerfettoBuilder(const TraceFile& trace) : trace_(trace) {}

    OJson build() {
        const std::vector<std::int64_t> stamps = spread_stamps();
        for (std::size_t i = 0; i < trace_.events.size(); ++i) {
            const TraceEvent& e = trace_.events[i];
            try {
                now_ = stamps[i];
                last_ = std::max(last_, now_);
                on_event(e.json);
            } catch (const TraceFieldError& x) {
                throw TraceFileError(fmt::format("trace: {}:{}: kind {}: {}", trace_.path, e.line,
                                                 str(e.json, "kind", "?"), x.what()));
            } catch (const nlohmann::json::exception& x) {
                throw TraceFileError(fmt::format("trace: {}:{}: kind {}: {}", trace_.path, e.line,
                                                 str(e.json, "kind", "?"), bare(x.what())));
            }
        }
        finish();
        return document();
    }

private:
    // Nanoseconds: the event's virtual microsecond, plus its rank among the events of that
    // microsecond (capped at 999), so that the zero-length exchanges of a virtual clock keep
    // their order and some width on the timeline.
    std::vector<std::int64_t> spread_stamps() const {
        std::vector<std::int64_t> ns;
        ns.reserve(trace_.events.size());
        std::int64_t us = 0, rank = 0;
        for (std::size_t i = 0; i < trace_.events.size(); ++i) {
            const auto t = trace_.events[i].json.at("t_us").get<std::int64_t>();
            rank = i > 0 && t == us ? std::min<std::int64_t>(rank + 1, 999) : 0;
            us = t;
            ns.push_back(t * 1000 + rank);
        }
        return ns;
    }

    // Where a span that ended now began: `latency_us` back, but never before `after` when that
    // is in the same microsecond (the ordering within a microsecond is the trace's).
    std::int64_t drawn_back(const OJson& j, std::optional<std::int64_t> after) const {
        const std::int64_t latency =
            std::clamp<std::int64_t>(num(j, "latency_us", 0), 0, now_ / 1000);
        std::int64_t start = now_ - now_ % 1000 - latency * 1000;
        if (after && *after / 1000 == start / 1000 && *after < now_)
            start = std::max(start, *after + 1);
        return std::min(start, now_);
    }

    static std::string bare(std::string what) {
        // nlohmann's text starts "[json.exception.type_error.302] ".
        if (auto p = what.find("] "); p != std::string::npos) what.erase(0, p + 2);
        return what;
    }

    void on_event(const OJson& j) {
        const std::string kind = j.at("kind").get<std::string>();
        if (kind == "run") return on_run(j);
        if (kind == "step") return on_step(j);
        if (kind == "result" || kind == "expect") return on_result(j);
        if (kind == "dm") return on_dm(j);
        if (kind == "ioctl") return on_ioctl(j);
        if (kind == "ulog") return on_ulog(j);
        if (kind == "io") return on_io(j);
        if (kind == "fault") return on_fault(j);
        if (kind == "server") return on_server(j);
        if (kind == "kernel")
            return instant({Process::messages, "kernel"}, title(str(j, "text", "")), "kernel",
                           fields_except(j));
        if (kind == "server_log")
            return instant({Process::messages, "log server"}, title(str(j, "text", "")),
                           "server_log", fields_except(j));
        if (kind == "problem")
            return instant({Process::devices, str(j, "dev", "?")}, "problem", "problem",
                           fields_except(j));
        if (kind == "teardown")
            return instant({Process::scenario, kStepsTrack},
                           flag(j, "ok", false) ? "teardown" : "teardown did not finish",
                           "teardown", fields_except(j));
        if (kind == "end")
            return instant({Process::scenario, kStepsTrack},
                           flag(j, "passed", false) ? "PASSED" : "FAILED", "end", fields_except(j));
        instant({Process::scenario, kStepsTrack}, kind, "other", fields_except(j));
    }

    void on_run(const OJson& j) {
        other_data_ = fields_except(j);
        instant({Process::scenario, kStepsTrack},
                fmt::format("run seed={} match={}", event_field<std::uint64_t>(j, "seed", 0),
                            str(j, "match", "?")),
                "run", fields_except(j));
    }

    void on_step(const OJson& j) {
        close_step(std::nullopt);  // a step with no result line: the trace says no more
        step_ = OpenStep{num(j, "line", 0), str(j, "text", ""), now_};
        dm_anchor_ = now_;
    }

    void on_result(const OJson& j) {
        if (!step_ || step_->line != num(j, "line", -1)) {
            instant({Process::scenario, kStepsTrack}, j.at("kind").get<std::string>(), "step",
                    fields_except(j));
            return;
        }
        close_step(j);
    }

    void close_step(const std::optional<OJson>& result) {
        if (!step_) return;
        OJson args;
        args["line"] = step_->line;
        args["text"] = step_->text;
        if (result) {
            args["ok"] = flag(*result, "ok", false);
            if (result->contains("message")) args["message"] = result->at("message");
        } else {
            args["ok"] = nullptr;
            args["unfinished"] = true;
        }
        if (!step_->dmsetup.empty()) args["dmsetup"] = step_->dmsetup;
        const bool failed = result && !flag(*result, "ok", false);
        slice({Process::scenario, kStepsTrack}, (failed ? "FAIL " : "") + title(step_->text),
              "step", step_->start, now_, std::move(args));
        step_.reset();
    }

    void on_dm(const OJson& j) {
        dm_anchor_ = now_;
        if (step_)
            step_->dmsetup.push_back(fields_except(j));
        else
            instant({Process::scenario, kStepsTrack}, title(str(j, "cmd", "dm")), "dm",
                    fields_except(j));
    }

    // dmsetup makes its ioctls one after another: within a microsecond, one began after the
    // step's start or the ioctl before it, and the lines in between (a CTR's exchange) are its.
    void on_ioctl(const OJson& j) {
        const std::int64_t start = drawn_back(j, dm_anchor_);
        dm_anchor_ = now_;
        const std::string device = str(j, "name", "");
        slice({Process::devices, device.empty() ? str(j, "dev", "(no device)") : device},
              with_error(str(j, "cmd", "ioctl"), num(j, "error", 0)), "ioctl", start, now_,
              fields_except(j));
    }

    // A worker keeps one I/O in flight: within a microsecond, its next began after its last.
    void on_io(const OJson& j) {
        const TrackKey track{Process::io, str(j, "dev", "?") + " " + str(j, "origin", "?")};
        auto last = io_ends_.find(track.name);
        const std::int64_t start =
            drawn_back(j, last == io_ends_.end() ? std::nullopt : std::optional(last->second));
        io_ends_[track.name] = now_;
        slice(track, with_error(str(j, "op", "io"), num(j, "error", 0)), "io", start, now_,
              fields_except(j));
    }

    void on_fault(const OJson& j) {
        instant({Process::faults, str(j, "where", "?")}, str(j, "fault", "fault"), "fault",
                fields_except(j));
    }

    void on_server(const OJson& j) {
        const std::string event = str(j, "event", "?");
        instant({Process::faults, event == "boot" ? "machine" : "log-server"}, "server " + event,
                "server", fields_except(j));
    }

    void on_ulog(const OJson& j) {
        const std::string dir = str(j, "dir", "");
        const auto seq = event_field<std::int64_t>(j, "seq", -1);
        if (dir.empty()) throw TraceFieldError("no \"dir\"");
        if (seq < 0) throw TraceFieldError("no \"seq\"");
        const std::string luid = str(j, "luid", "?");
        if (dir == "req") {
            if (auto old = waiting_.find(seq); old != waiting_.end()) {
                unanswered_.push_back(std::move(old->second));
                waiting_.erase(old);
            }
            auto label = log_tracks_.try_emplace(luid, luid + " " + str(j, "uuid", "")).first;
            PendingRequest r{
                requests_.size(),    luid, label->second,
                str(j, "type", "?"), now_, fields_except(j, {"dir", "type", "luid", "payload"})};
            if (j.contains("payload")) r.args["request"] = j.at("payload");
            requests_.emplace_back(luid, now_);
            waiting_[seq] = std::move(r);
            return;
        }
        auto w = waiting_.find(seq);
        if (w == waiting_.end()) {
            instant({Process::logs, log_track(luid)},
                    str(j, "type", "?") + " reply without a request", "ulog", fields_except(j));
            return;
        }
        PendingRequest r = std::move(w->second);
        waiting_.erase(w);
        OJson args = std::move(r.args);
        const OJson reply = fields_except(j, {"type", "luid", "seq", "payload"});
        for (auto it = reply.begin(); it != reply.end(); ++it) args[it.key()] = it.value();
        if (j.contains("payload")) args["reply"] = j.at("payload");
        std::string name = with_error(r.type, num(j, "error", 0));
        // What the UUID-collision bugs turn on: a request acting on another log's object.
        if (const auto reached = j.find("reached");
            reached != j.end() && reached->is_string() && reached->get<std::string>() != r.luid)
            name += " reached=" + reached->get<std::string>();
        slice({Process::logs, r.track}, name, "ulog", r.start, now_, std::move(args));
    }

    std::string log_track(const std::string& luid) {
        auto it = log_tracks_.find(luid);
        return it == log_tracks_.end() ? luid : it->second;
    }

    // Requests never answered end where their log sent its next request (the kernel gave up on
    // them: the 15 s timeout and a resend, a server that died), else at the end of the trace.
    void finish() {
        now_ = last_;
        close_step(std::nullopt);
        for (auto& [seq, r] : waiting_) unanswered_.push_back(std::move(r));
        waiting_.clear();
        std::sort(unanswered_.begin(), unanswered_.end(),
                  [](const auto& a, const auto& b) { return a.index < b.index; });
        for (auto& r : unanswered_) {
            std::int64_t end = last_;
            for (std::size_t i = r.index + 1; i < requests_.size(); ++i)
                if (requests_[i].first == r.luid) {
                    end = requests_[i].second;
                    break;
                }
            r.args["answered"] = false;
            slice({Process::logs, r.track}, r.type + " (no reply)", "ulog", r.start, end,
                  std::move(r.args));
        }
    }

    void slice(TrackKey track, std::string name, const char* cat, std::int64_t start,
               std::int64_t end, OJson args) {
        see(track);
        slices_.push_back(Slice{std::move(track), std::move(name), cat, start, std::max(start, end),
                                std::move(args), order_++});
    }

    void instant(TrackKey track, std::string name, const char* cat, OJson args) {
        see(track);
        instants_.push_back(
            Instant{std::move(track), std::move(name), cat, now_, std::move(args), order_++});
    }

    void see(const TrackKey& track) {
        if (std::find(tracks_.begin(), tracks_.end(), track) == tracks_.end())
            tracks_.push_back(track);
    }

    // Lanes, then tids: a slice goes on the first lane of its track that is free at its start.
    OJson document() {
        std::map<TrackKey, std::vector<std::int64_t>> lanes;  // free from this time on
        std::vector<Slice*> by_start;
        for (auto& s : slices_) by_start.push_back(&s);
        std::stable_sort(by_start.begin(), by_start.end(), [](const Slice* a, const Slice* b) {
            return std::tie(a->start, a->end) < std::tie(b->start, b->end);
        });
        for (Slice* s : by_start) {
            auto& free_at = lanes[s->track];
            auto lane = std::find_if(free_at.begin(), free_at.end(),
                                     [&](std::int64_t t) { return t <= s->start; });
            if (lane == free_at.end()) lane = free_at.insert(free_at.end(), s->start);
            *lane = s->end;
            s->lane = static_cast<int>(lane - free_at.begin());
        }

        OJson events = OJson::array();
        std::map<std::pair<TrackKey, int>, int> tids;
        std::map<Process, int> next_tid;
        for (Process p : kProcesses) {
            bool used = false;
            for (const auto& t : tracks_) used = used || t.process == p;
            if (!used) continue;
            events.push_back(metadata(p, 0, "process_name", {{"name", process_name(p)}}));
            events.push_back(
                metadata(p, 0, "process_sort_index", {{"sort_index", static_cast<int>(p)}}));
            for (const auto& t : tracks_) {
                if (t.process != p) continue;
                const auto n = std::max<std::size_t>(1, lanes[t].size());
                for (std::size_t lane = 0; lane < n; ++lane) {
                    const int tid = ++next_tid[p];
                    tids[{t, static_cast<int>(lane)}] = tid;
                    const std::string name =
                        lane == 0 ? t.name : fmt::format("{} #{}", t.name, lane + 1);
                    events.push_back(metadata(p, tid, "thread_name", {{"name", name}}));
                    events.push_back(metadata(p, tid, "thread_sort_index", {{"sort_index", tid}}));
                }
            }
        }

        struct Timed {
            std::int64_t ts;
            std::size_t order;
            OJson event;
        };
        std::vector<Timed> timed;
        for (auto& s : slices_) {
            OJson e;
            e["name"] = s.name;
            e["cat"] = s.cat;
            e["ph"] = "X";
            e["ts"] = micros(s.start);
            e["dur"] = micros(s.end - s.start);
            e["pid"] = static_cast<int>(s.track.process);
            e["tid"] = tids.at({s.track, s.lane});
            e["args"] = std::move(s.args);
            timed.push_back({s.start, s.order, std::move(e)});
        }
        for (auto& i : instants_) {
            OJson e;
            e["name"] = i.name;
            e["cat"] = i.cat;
            e["ph"] = "i";
            e["s"] = "t";
            e["ts"] = micros(i.ts);
            e["pid"] = static_cast<int>(i.track.process);
            e["tid"] = tids.at({i.track, 0});
            e["args"] = std::move(i.args);
            timed.push_back({i.ts, i.order, std::move(e)});
        }
        std::sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) {
            return std::tie(a.ts, a.order) < std::tie(b.ts, b.order);
        });
        for (auto& t : timed) events.push_back(std::move(t.event));

        OJson doc;
        doc["traceEvents"] = std::move(events);
        doc["displayTimeUnit"] = "ns";
        doc["otherData"] = other_data_.is_null() ? OJson::object() : other_data_;
        doc["otherData"]["clock"] =
            "virtual; the nanoseconds order the events of one microsecond as the trace does";
        return doc;
    }

    static double micros(std::int64_t ns) { return static_cast<double>(ns) / 1000.0; }

    static OJson metadata(Process p, int tid, const char* name, OJson args) {
        OJson e;
        e["name"] = name;
        e["ph"] = "M";
        e["pid"] = static_cast<int>(p);
        e["tid"] = tid;
        e["args"] = std::move(args);
        return e;
    }

    const TraceFile& trace_;
    std::int64_t now_ = 0, last_ = 0;
    std::size_t order_ = 0;
    OJson other_data_;
    std::optional<OpenStep> step_;
    std::optional<std::int64_t> dm_anchor_;           // the last step, dm or ioctl line
    std::map<std::string, std::int64_t> io_ends_;     // by I/O track
    std::map<std::int64_t, PendingRequest> waiting_;  // by seq
    std::vector<PendingRequest> unanswered_;
    std::vector<std::pair<std::string, std::int64_t>> requests_;  // luid, start
    std::map<std::string, std::string> log_tracks_;               // luid -> "L1 UUID"
    std::vector<TrackKey> tracks_;                                // in order of first use
    std::vector<Slice> slices_;
    std::vector<Instant> instants_;
};

}  // namespace

nlohmann::ordered_json perfetto_trace(const TraceFile& trace) {
    return PerfettoBuilder(trace).build();
}

}  // namespace dmemu::scenario
