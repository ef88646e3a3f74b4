// SPDX-License-Identifier: GPL-2.0-only
// Everything one scenario run owns: the machine (machine.hpp: one io_context and VirtualClock,
// the device mapper and its disks, the in-process log server in the run's match mode, the kernel
// endpoint in front of it, transport faults, a dmsetup channel), the trace, the wire observer,
// the record of scenario writes, the faults fired, and the run's randomness (one Rng from the
// seed, split into named streams so adding a step never reshuffles another).
//
// A power cut (power_cut()) ends the machine and boots a new one on what the disks durably hold:
// the same disk names and numbers, no mapped devices, a fresh log server, the clock going on
// from the cut. Everything else here (trace, observer, data record, marks) lives across it.
//
// Nothing here reads the real clock or unseeded randomness; the runner arms a
// DeterminismGuard around every run to prove it.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emu/faults/fault_event.hpp"
#include "emu/sim/crash_trigger.hpp"
#include "emu/sim/data_model.hpp"
#include "emu/sim/machine.hpp"
#include "emu/sim/trace.hpp"
#include "emu/sim/ulog_observer.hpp"

namespace dmemu::scenario {

namespace asio = boost::asio;
class BackgroundIo;
class FaultPlan;

struct WorldOptions {
    std::uint64_t seed = 1;
    logs::MatchMode match = logs::MatchMode::uuid_luid;
    // "dmemu" (the in-process model, in `match` mode), "cmirrord" or "cmirrord-legacy" (the real
    // daemon: real_log_server.hpp; `match` then only picks the scenario's [mode] lines).
    std::string log_server = "dmemu";
    std::string cmirrord_dir;  // where the real daemons are ("": the default)
};

// What `mark NAME` remembers: where the wire and the kernel log were.
struct Mark {
    std::size_t exchange = 0;      // first UlogExchange index after the mark
    std::uint64_t kernel_seq = 0;  // last kernel log line before the mark
};

// A device scenario I/O can target: a mapped device (kept alive while used) or a disk.
struct DeviceHandle {
    std::shared_ptr<emu::MappedDevice> mapped;
    emu::BlockDevice* dev = nullptr;
    explicit operator bool() const { return dev != nullptr; }
};

class World {
public:
    World(WorldOptions options, Trace& trace);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    const WorldOptions& options() const { return options_; }
    // The world's one loop (every machine runs on it: the disks' media complete bios there).
    boost::asio::io_context& context() { return ctx_; }
    // The current machine's (a power cut replaces them all).
    emu::VirtualClock& clock() { return machine_->clock; }
    emu::KernelLog& kernel_log() { return machine_->klog; }
    emu::DeviceMapper& dm() { return machine_->dm; }
    dmsetup::IoctlChannel& channel() { return *machine_->channel; }
    LogServerSide& log_server() { return *machine_->server; }
    transfer::TransportFaults& transport_faults() { return *machine_->transport; }
    CrashTrigger& crash_trigger() { return *machine_->crash; }
    // How many machines ran so far: 1, and one more per power cut.
    unsigned boots() const { return boots_; }
    // kcopyd's copy bandwidth in bytes per second of virtual time (0: no limit), for this
    // machine and the ones a power cut boots (the `copy-bandwidth` step; emu/core/kcopyd.hpp).
    static constexpr std::uint64_t kDefaultCopyBandwidth = 100ull << 20;
    std::uint64_t copy_bandwidth() const { return copy_bandwidth_; }
    void set_copy_bandwidth(std::uint64_t bytes_per_second);
    Trace& trace() { return trace_; }
    UlogObserver& ulog() { return *observer_; }
    DataModel& data() { return data_; }
    BackgroundIo& background() { return *background_; }
    // The named stream of the run's randomness, created from the seed on first use.
    emu::Rng& stream(const std::string& name);

    // "lv", "/dev/mapper/lv", "ram0", "/dev/ram0": a mapped device first, then a disk.
    DeviceHandle device(const std::string& name);
    // By number as tables print it ("7:1"): a mapped device or a disk.
    asio::awaitable<DeviceHandle> device_by_number(std::string majmin);

    // Log server life (log_server_side.hpp: the model's server is in-process, no real process
    // dies; a real cmirrord does). A step that cannot be done is noted in the trace.
    void crash_log_server();    // stops listening, state lost at restart: the kernel gets -ESRCH
    void restart_log_server();  // a fresh engine, listening
    void freeze_log_server();   // listening but silent: requests time out after 15 s
    void thaw_log_server();     // answering again, same engine
    bool log_server_running() const { return server_state_ == ServerState::running; }

    // Power cut (power-cut step): every disk's power is cut, background jobs are abandoned (their
    // I/O in flight is lost, not failed), the data record learns what may have survived, and a
    // new machine boots on the disks' durable media with the same names and numbers. The
    // machine's transport faults, crash trigger and log server state are gone with it; block
    // faults are not carried over either (the disks are new FaultyDisks), except those a fault
    // plan installs on every disk it names. The new machine is built by reboot_if_pending().
    asio::awaitable<std::string> power_cut();
    // The restart after a power cut. The runner calls it after every step, outside the loop (the
    // new machine's clock is set to the moment of the cut, which drains the loop). Returns the
    // errors of re-adopting the disks, if any.
    std::string reboot_if_pending();

    // Faults fired so far in this run, by "where kind" ("disk eio", "ulog drop",
    // "log-server crash", "machine power-cut"): the sweep's fault matrix.
    const std::map<std::string, std::uint64_t>& faults_fired() const { return faults_fired_; }
    // One fired fault into the trace (kind "fault") and the counts.
    void note_fault(Json event, const std::string& where, const std::string& kind);
    // The run's fault plan, if any (installed by the runner before the first step).
    void set_fault_plan(std::shared_ptr<FaultPlan> plan);
    FaultPlan* fault_plan() { return plan_.get(); }
    // The log a luid names in this run (the observer's L<n>).
    int log_of(std::uint64_t luid) const { return observer_->log_of(luid); }

    std::map<std::string, Mark>& marks() { return marks_; }
    // Something a background job saw that an expectation should report (a stale read).
    void note_problem(const std::string& device, std::string what);
    const std::vector<std::string>& problems(const std::string& device) const;

    // Ends the run: background jobs stop, the log server answers, every device is removed with
    // its dtrs, within `limit` of virtual time. False when something was still stuck.
    bool shut_down(emu::Duration limit);
    // For a world that could not shut down and is kept, never run again: give the process its
    // logger back (the world's one writes into a trace that is gone).
    void release_logger() { server_log_capture_.reset(); }

private:
    // A log-server step the server could not do goes into the trace (kind "server").
    void note_server_step(const char* what, const std::string& error);
    // Builds a machine: hooks, fault tracing, the crash trigger; the plan's faults.
    std::unique_ptr<Machine> boot(emu::TimePoint start, emu::Rng mapper_rng);
    void on_disk_added(const std::string& name);
    void crash_at(const transfer::UlogMessage& request);

    struct Survivor {
        emu::DmDiskEntry entry;
        std::unique_ptr<emu::BlockDevice> media;
    };

    WorldOptions options_;
    Trace& trace_;
    boost::asio::io_context ctx_{1};
    emu::Rng rng_;
    std::map<std::string, emu::Rng> streams_;
    std::shared_ptr<UlogObserver> observer_;
    std::unique_ptr<Machine> machine_;
    std::optional<std::vector<Survivor>> reboot_;  // a power cut happened, the restart has not
    unsigned boots_ = 0;
    std::uint64_t copy_bandwidth_ = kDefaultCopyBandwidth;
    std::map<std::string, std::uint64_t> faults_fired_;
    std::shared_ptr<FaultPlan> plan_;
    DataModel data_;
    std::unique_ptr<BackgroundIo> background_;
    std::map<std::string, Mark> marks_;
    std::map<std::string, std::vector<std::string>> problems_;
    std::shared_ptr<void> server_log_capture_;
    enum class ServerState { running, crashed, frozen } server_state_ = ServerState::running;
};

}  // namespace dmemu::scenario
