// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/sweep.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

#include "emu/sim/fault_plan.hpp"
#include "emu/sim/runner.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

namespace {

using nlohmann::json;

bool write_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

json seed_result(const SweepOptions& o, std::uint64_t seed, const RunResult& r) {
    json j;
    j["file"] = o.file;
    j["match"] = logs::to_string(o.match);
    j["seed"] = seed;
    j["passed"] = r.passed;
    j["failures"] = r.failures.size();
    std::uint64_t failed_expectations = 0;
    for (const auto& f : r.failures) failed_expectations += f.expectation ? 1 : 0;
    j["expectations"] = r.expectations;
    j["failed_expectations"] = failed_expectations;
    if (!r.faults_fired.empty()) j["faults"] = r.faults_fired;
    if (const StepFailure* f = r.first_failure()) {
        j["first_failure"] = {{"at", f->at.str()}, {"step", f->text}, {"message", f->message}};
        j["replay"] = replay_command(o.file, seed, o.match, o.plan);
    }
    return j;
}

// A worker's life: "S <seed>" before each run, "R <json>" after it; then _exit.
[[noreturn]] void worker(const Scenario& s, const SweepOptions& o,
                         const std::shared_ptr<const PlanSpec>& plan, std::uint64_t start,
                         std::uint64_t stride, int fd) {
    for (std::uint64_t seed = start; seed <= o.last; seed += stride) {
        if (!write_all(fd, fmt::format("S {}\n", seed))) ::_exit(3);
        RunOptions ro;
        ro.seed = seed;
        ro.match = o.match;
        ro.plan = plan;
        const RunResult r = run_scenario(s, ro);
        if (!write_all(fd, "R " + seed_result(o, seed, r).dump() + "\n")) ::_exit(3);
        if (seed > o.last - stride) break;  // no wrap past UINT64_MAX
        // A world whose teardown stayed stuck is kept, not freed (runner.cpp): leave, and let a
        // fresh worker take the rest, so a sweep of a hanging scenario does not grow.
        if (!r.torn_down) {
            write_all(fd, fmt::format("X {}\n", seed + stride));
            ::_exit(0);
        }
    }
    ::_exit(0);
}

struct Worker {
    pid_t pid = -1;
    int fd = -1;
    std::string buf;
    std::uint64_t stride = 1;
    std::optional<std::uint64_t> running;  // started, not reported
    std::optional<std::uint64_t> resume;   // left early: a new worker continues from here
};

std::optional<Worker> spawn(const Scenario& s, const SweepOptions& o,
                            const std::shared_ptr<const PlanSpec>& plan, std::uint64_t start,
                            std::uint64_t stride, std::ostream& err) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) {
        err << "dmemu: sweep: pipe: " << std::strerror(errno) << "\n";
        return std::nullopt;
    }
    err.flush();
    const pid_t pid = ::fork();
    if (pid < 0) {
        err << "dmemu: sweep: fork: " << std::strerror(errno) << "\n";
        ::close(p[0]);
        ::close(p[1]);
        return std::nullopt;
    }
    if (pid == 0) {
        ::close(p[0]);
        worker(s, o, plan, start, stride, p[1]);
    }
    ::close(p[1]);
    Worker w;
    w.pid = pid;
    w.fd = p[0];
    w.stride = stride;
    return w;
}

// ", shard 2/4", or nothing for the whole range.
std::string shard_label(const Shard& shard) {
    return shard.count == 1 ? std::string()
                            : fmt::format(", shard {}/{}", shard.index, shard.count);
}

class Report {
public:
    Report(const SweepOptions& o, std::ostream& out, std::ostream& err)
        : o_(o),
          out_(out),
          err_(err),
          total_(shard_seed_count(o.first, o.last, o.shard)),
          started_(
              std::chrono::steady_clock::now()),  // nondeterminism-ok: throughput, outside runs
          tty_(::isatty(2) != 0) {}

    // Keep every seed's result for a result file (--result).
    void keep_results() { keep_ = true; }
    std::vector<json> take_results() { return std::move(kept_); }
    // A merge reports the shards' time, not its own.
    void set_seconds(double secs) { seconds_ = secs; }

    void result(const json& j) {
        ++done_;
        if (keep_) {
            json k = j;
            for (const char* derived : {"file", "match", "replay"}) k.erase(derived);
            kept_.push_back(std::move(k));
        }
        const bool passed = j.value("passed", false);
        if (!passed) ++failed_;
        expectations_ += j.value("expectations", std::uint64_t{0});
        failed_expectations_ += j.value("failed_expectations", std::uint64_t{0});
        if (j.contains("faults"))
            for (const auto& [what, n] : j["faults"].items()) {
                fired_[what] += n.get<std::uint64_t>();
                ++seeds_with_[what];
            }
        if (o_.json) {
            out_ << j.dump() << "\n";
        } else if (!passed) {
            clear_progress();
            out_ << "seed " << j["seed"].get<std::uint64_t>() << ": FAILED";
            if (j.contains("first_failure")) {
                const auto& f = j["first_failure"];
                out_ << " " << f["at"].get<std::string>() << ": " << f["step"].get<std::string>()
                     << "\n    " << f["message"].get<std::string>()
                     << "\n  replay: " << j["replay"].get<std::string>();
            }
            out_ << "\n";
            out_.flush();
        }
        progress(false);
    }
    void crashed(std::uint64_t seed, int status) {
        json j;
        j["file"] = o_.file;
        j["match"] = logs::to_string(o_.match);
        j["seed"] = seed;
        j["passed"] = false;
        j["failures"] = 1;
        const std::string why =
            WIFSIGNALED(status) ? fmt::format("worker killed by signal {} ({})", WTERMSIG(status),
                                              strsignal(WTERMSIG(status)))
                                : fmt::format("worker exited with status {}", WEXITSTATUS(status));
        j["first_failure"] = {{"at", o_.file}, {"step", "(crash)"}, {"message", why}};
        j["replay"] = replay_command(o_.file, seed, o_.match, o_.plan);
        result(j);
    }
    double seconds() const {
        if (seconds_) return *seconds_;
        return std::chrono::duration<double>(
                   std::chrono::steady_clock::now() -  // nondeterminism-ok
                   started_)
            .count();
    }
    void finish(unsigned jobs) {
        clear_progress();
        const double secs = seconds();
        const double rate = secs > 0 ? static_cast<double>(done_) / secs : 0;
        if (o_.json) {
            json s;
            s["summary"] = {{"file", o_.file},
                            {"match", logs::to_string(o_.match)},
                            {"shard", fmt::format("{}/{}", o_.shard.index, o_.shard.count)},
                            {"first", o_.first},
                            {"last", o_.last},
                            {"seeds", done_},
                            {"passed", done_ - failed_},
                            {"failed", failed_},
                            {"seconds", secs},
                            {"seeds_per_second", rate},
                            {"jobs", jobs},
                            {"expectations", expectations_},
                            {"failed_expectations", failed_expectations_},
                            {"faults", fired_}};
            out_ << s.dump() << "\n";
        } else {
            if (!o_.plan.empty()) {
                out_ << fmt::format("fault matrix ({}):\n", o_.plan);
                for (const auto& [what, n] : fired_)
                    out_ << fmt::format("  {:<24} fired {:>7} times in {:>5} of {} seeds\n", what,
                                        n, seeds_with_[what], done_);
                if (fired_.empty()) out_ << "  (no fault fired)\n";
            }
            out_ << fmt::format("expectations: {} checked, {} failed\n", expectations_,
                                failed_expectations_);
            out_ << fmt::format(
                "sweep: {} seeds ({}..{}{}), {} passed, {} failed, {:.1f} s, {:.0f} seeds/s, {} "
                "job{}\n",
                done_, o_.first, o_.last, shard_label(o_.shard), done_ - failed_, failed_, secs,
                rate, jobs, jobs == 1 ? "" : "s");
        }
        out_.flush();
    }
    std::uint64_t failed() const { return failed_; }

private:
    void progress(bool force) {
        if (!o_.progress) return;
        const std::uint64_t step = std::max<std::uint64_t>(1, total_ / 10);
        if (!tty_ && !force && done_ % step != 0 && done_ != total_) return;
        err_ << (tty_ ? "\r" : "")
             << fmt::format("sweep: {}/{} seeds, {} failed", done_, total_, failed_)
             << (tty_ ? "" : "\n");
        err_.flush();
        shown_ = tty_;
    }
    void clear_progress() {
        if (shown_) err_ << "\r\033[K";
        shown_ = false;
    }

    const SweepOptions& o_;
    std::ostream& out_;
    std::ostream& err_;
    std::uint64_t total_;
    std::uint64_t done_ = 0, failed_ = 0;
    std::uint64_t expectations_ = 0, failed_expectations_ = 0;
    std::map<std::string, std::uint64_t> fired_, seeds_with_;
    std::chrono::steady_clock::time_point started_;
    std::optional<double> seconds_;
    bool tty_;
    bool shown_ = false;
    bool keep_ = false;
    std::vector<json> kept_;
};

void handle_line(Worker& w, const std::string& line, Report& report) {
    if (line.rfind("S ", 0) == 0) {
        std::uint64_t seed = 0;
        std::from_chars(line.data() + 2, line.data() + line.size(), seed);
        w.running = seed;
    } else if (line.rfind("R ", 0) == 0) {
        w.running.reset();
        report.result(json::parse(line.substr(2)));
    } else if (line.rfind("X ", 0) == 0) {
        std::uint64_t seed = 0;
        std::from_chars(line.data() + 2, line.data() + line.size(), seed);
        w.resume = seed;
    }
}

}  // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_seed_range(const std::string& text) {
    auto num = [](std::string_view s) -> std::optional<std::uint64_t> {
        std::uint64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 10);
        if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
        return v;
    };
    const auto dots = text.find("..");
    if (dots == std::string::npos) {
        auto v = num(text);
        if (!v) return std::nullopt;
        return std::make_pair(*v, *v);
    }
    auto a = num(std::string_view(text).substr(0, dots));
    auto b = num(std::string_view(text).substr(dots + 2));
    if (!a || !b || *b < *a) return std::nullopt;
    return std::make_pair(*a, *b);
}

int sweep(const SweepOptions& o, std::ostream& out, std::ostream& err) {
    Scenario scenario;
    try {
        scenario = load_scenario(o.file, builtin_step_registry());
    } catch (const std::exception& e) {
        err << "dmemu: " << e.what() << "\n";
        return 2;
    }
    std::shared_ptr<const PlanSpec> plan;
    try {
        if (!o.plan.empty()) plan = load_fault_plan(o.plan);
    } catch (const std::exception& e) {
        err << "dmemu: " << e.what() << "\n";
        return 2;
    }
    const std::uint64_t total = shard_seed_count(o.first, o.last, o.shard);
    const std::optional<std::uint64_t> start = shard_first_seed(o.first, o.last, o.shard);
    const unsigned jobs =
        static_cast<unsigned>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(o.jobs, total)));
    if (!o.json)
        out << fmt::format(
            "sweep: {} --match {}{} seeds {}..{}{} on {} job{}\n", o.file, logs::to_string(o.match),
            o.plan.empty() ? "" : " --faults " + o.plan, o.first, o.last,
            o.shard.count == 1
                ? std::string()
                : fmt::format(" shard {}/{} ({} seeds)", o.shard.index, o.shard.count, total),
            jobs, jobs == 1 ? "" : "s");
    out.flush();
    Report report(o, out, err);
    if (!o.result.empty()) report.keep_results();
    // Worker j runs seeds start + j*N, start + (j + jobs)*N, ...: the shard's seeds dealt out as
    // the unsharded sweep deals out the range (N = 1).
    std::uint64_t stride = 0;
    if (__builtin_mul_overflow(std::uint64_t{jobs}, o.shard.count, &stride)) stride = UINT64_MAX;
    std::vector<Worker> workers;
    for (unsigned j = 0; start && j < jobs; ++j) {
        auto w = spawn(scenario, o, plan, *start + j * o.shard.count, stride, err);
        if (!w) return 2;
        workers.push_back(std::move(*w));
    }
    while (!workers.empty()) {
        std::vector<pollfd> fds;
        for (const auto& w : workers) fds.push_back(pollfd{w.fd, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            err << "dmemu: sweep: poll: " << std::strerror(errno) << "\n";
            return 2;
        }
        std::vector<Worker> respawn;
        for (std::size_t i = fds.size(); i-- > 0;) {
            if (fds[i].revents == 0) continue;
            Worker& w = workers[i];
            char chunk[4096];
            const ssize_t n = ::read(w.fd, chunk, sizeof(chunk));
            if (n < 0 && errno == EINTR) continue;
            if (n > 0) {
                w.buf.append(chunk, static_cast<std::size_t>(n));
                for (auto nl = w.buf.find('\n'); nl != std::string::npos; nl = w.buf.find('\n')) {
                    handle_line(w, w.buf.substr(0, nl), report);
                    w.buf.erase(0, nl + 1);
                }
                continue;
            }
            // The worker is gone: was it done, or did it die on a seed?
            ::close(w.fd);
            int status = 0;
            ::waitpid(w.pid, &status, 0);
            std::optional<std::uint64_t> next = w.resume;
            if (w.running) {
                report.crashed(*w.running, status);
                if (*w.running + w.stride > *w.running) next = *w.running + w.stride;
            }
            if (next && *next <= o.last)
                if (auto nw = spawn(scenario, o, plan, *next, w.stride, err))
                    respawn.push_back(std::move(*nw));
            workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
        }
        for (auto& w : respawn) workers.push_back(std::move(w));
    }
    report.finish(jobs);
    if (!o.result.empty()) {
        SweepResult r;
        r.file = o.file;
        r.file_hash = scenario.hash;
        if (plan) {
            r.plan = o.plan;
            r.plan_hash = plan->hash;
        }
        r.match = logs::to_string(o.match);
        r.first = o.first;
        r.last = o.last;
        r.shard = o.shard;
        r.jobs = jobs;
        r.seconds = report.seconds();
        r.results = report.take_results();
        std::sort(r.results.begin(), r.results.end(), [](const json& a, const json& b) {
            return a["seed"].get<std::uint64_t>() < b["seed"].get<std::uint64_t>();
        });
        try {
            write_sweep_result(o.result, r);
        } catch (const std::exception& e) {
            err << "dmemu: " << e.what() << "\n";
            return 2;
        }
    }
    return report.failed() == 0 ? 0 : 1;
}

int merge_sweep_results(const std::vector<std::string>& files, bool json_lines, std::ostream& out,
                        std::ostream& err) {
    std::vector<SweepResult> results;
    try {
        for (const auto& f : files) results.push_back(read_sweep_result(f));
    } catch (const std::exception& e) {
        err << "dmemu: " << e.what() << "\n";
        return 2;
    }
    if (auto problem = merge_problem(results)) {
        err << "dmemu: sweep: --merge: " << *problem << "\n";
        return 2;
    }
    const SweepResult& a = results.front();
    SweepOptions o;
    o.file = a.file;
    if (!logs::parse_match_mode(a.match, &o.match)) {
        err << "dmemu: sweep: " << a.path << ": unknown match mode '" << a.match << "'\n";
        return 2;
    }
    o.json = json_lines;
    o.progress = false;
    o.plan = a.plan.value_or("");
    o.first = a.first;
    o.last = a.last;
    unsigned jobs = 0;
    double seconds = 0;  // the slowest shard's: shards run side by side
    std::vector<json> seeds;
    for (const auto& r : results) {
        o.first = std::min(o.first, r.first);
        o.last = std::max(o.last, r.last);
        jobs += r.jobs;
        seconds = std::max(seconds, r.seconds);
        seeds.insert(seeds.end(), r.results.begin(), r.results.end());
    }
    std::sort(seeds.begin(), seeds.end(), [](const json& x, const json& y) {
        return x["seed"].get<std::uint64_t>() < y["seed"].get<std::uint64_t>();
    });
    if (!o.json)
        out << fmt::format("sweep: {} --match {}{} seeds {}..{} merged from {} result file{}\n",
                           o.file, a.match, o.plan.empty() ? "" : " --faults " + o.plan, o.first,
                           o.last, results.size(), results.size() == 1 ? "" : "s");
    Report report(o, out, err);
    report.set_seconds(seconds);
    for (auto& j : seeds) {
        j["file"] = o.file;
        j["match"] = a.match;
        if (!j.value("passed", false))
            j["replay"] = replay_command(o.file, j["seed"].get<std::uint64_t>(), o.match, o.plan);
        report.result(j);
    }
    report.finish(jobs);
    return report.failed() == 0 ? 0 : 1;
}

}  // namespace dmemu::scenario
