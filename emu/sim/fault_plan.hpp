// SPDX-License-Identifier: GPL-2.0-only
// Fault plans: `dmemu run FILE --faults PLAN`, `dmemu sweep FILE --faults PLAN`. A plan is a
// small file of faults laid over a scenario, so the same fixture runs under many fault mixes.
// One fault a line, `#` comments, words as in scenario files:
//
//   disk NAME|* SPEC...          a block fault (docs/faults.md), installed on disk NAME (or on
//                                every disk: *) the moment it is added, and again when a power
//                                cut's restart re-adopts it
//   transport SPEC...            a transport fault on the ulog link, from the first step on (and
//                                on every machine a power cut boots)
//   crash-log-server [at=TYPE[,TYPE...]] [luid=old|new|Ln] [p=P] [times=N] [restart=D]
//                                crash the log server when a request of TYPE (one of the list,
//                                picked per run) reaches it, with probability p per request,
//                                at most `times` times (default 1); restart it D later
//                                (default 20s: past the kernel's 15 s timeout, so the lost
//                                request's resend finds no server and the -ESRCH reconnect path
//                                runs; docs/faults.md "Log-server crashes")
//
// Ranges: any value written `LO..HI` (`p=0.01..0.05`, `ms=1..20`, `restart=16s..30s`: both ends
// with the same unit) is drawn once per run, uniformly, from the run's Rng stream "plan".
// Every other decision draws from the faults' own streams (fault/<disk>, transport/ulog) and the
// crash trigger's "plan/crash": a run replays from its seed and the plan text, which the trace's
// first line records.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emu/sim/lexer.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::scenario {

class World;

struct PlanLine {
    SourceLocation at;
    enum class Kind { disk, transport, crash } kind = Kind::disk;
    std::string disk;                // Kind::disk: a name, or "*"
    std::vector<std::string> words;  // the spec (disk, transport) or the options (crash)
};

// A parsed plan: immutable, shared by every run of a sweep.
struct PlanSpec {
    std::string file;
    std::string text;
    std::string hash;  // text_hash of the text
    std::vector<PlanLine> lines;
};

// Throws ParseError ("PLAN:LINE: what was expected") on a malformed line or a spec the fault
// parsers refuse (checked with each range's low end).
std::shared_ptr<const PlanSpec> parse_fault_plan(std::string text, const std::string& file);
std::shared_ptr<const PlanSpec> load_fault_plan(const std::string& path);

// "" when a spec parses, else the fault parser's words ("fault: eio: bad sector range ...").
std::string disk_fault_spec_error(const std::string& spec);
std::string transport_fault_spec_error(const std::string& spec);

// `KEY=LO..HI` words drawn: the word with the range replaced by a value. nullopt: no range.
// Exposed for tests.
std::optional<std::string> draw_range(const std::string& word, std::uint64_t draw);

// One run's plan: the ranges drawn, the faults installed as the plan says.
class FaultPlan {
public:
    explicit FaultPlan(std::shared_ptr<const PlanSpec> spec) : spec_(std::move(spec)) {}

    const PlanSpec& spec() const { return *spec_; }
    // Draws the ranges; installs the transport faults and arms the crash trigger.
    void start(World& world);
    // A machine booted after a power cut: transport faults and the crash again.
    void on_boot(World& world);
    // A disk was added (or re-adopted): its block faults.
    void on_disk(World& world, const std::string& disk);
    // The crash trigger fired: the restart, `restart` later.
    void on_crash(World& world);
    // The run is over: nothing more is installed or restarted.
    void stop() { stopped_ = true; }

private:
    void install_transport(World& world);
    void arm_crash(World& world);

    std::shared_ptr<const PlanSpec> spec_;
    std::vector<std::vector<std::string>> drawn_;  // per line: words with ranges drawn
    bool stopped_ = false;
    std::uint64_t crashes_left_ = 0;
    emu::Duration restart_after_ = std::chrono::seconds(20);
};

}  // namespace dmemu::scenario
