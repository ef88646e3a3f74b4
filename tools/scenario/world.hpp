// SPDX-License-Identifier: GPL-2.0-only
// Everything one scenario run owns, on one io_context and one VirtualClock: the device mapper
// with the built-in targets, the memory disks it creates, the in-process log server in the run's
// match mode and the kernel endpoint in front of it, a dmsetup channel into the device mapper,
// the trace, the wire observer, the record of scenario writes, and the run's randomness (one
// Rng from the seed, split into named streams so adding a step never reshuffles another).
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
#include <string>
#include <vector>

#include "emu/core/device_mapper.hpp"
#include "emu/core/target_registry.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "tools/dmsetup/ioctl_channel.hpp"
#include "tools/scenario/data_model.hpp"
#include "tools/scenario/trace.hpp"
#include "tools/scenario/ulog_observer.hpp"
#include "transfer/kernel_endpoint.hpp"

namespace dmemu::scenario {

namespace asio = boost::asio;
class BackgroundIo;

struct WorldOptions {
    std::uint64_t seed = 1;
    logs::MatchMode match = logs::MatchMode::uuid_luid;
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
    boost::asio::io_context& context() { return ctx_; }
    emu::VirtualClock& clock() { return clock_; }
    emu::KernelLog& kernel_log() { return klog_; }
    emu::DeviceMapper& dm() { return dm_; }
    dmsetup::IoctlChannel& channel() { return *channel_; }
    logs::InProcessLogServer& log_server() { return server_; }
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

    // Log server life (the world's server is in-process: no real process dies).
    void crash_log_server();    // stops listening, state lost at restart: the kernel gets -ESRCH
    void restart_log_server();  // a fresh engine, listening
    void freeze_log_server();   // listening but silent: requests time out after 15 s
    void thaw_log_server();     // answering again, same engine
    bool log_server_running() const { return server_state_ == ServerState::running; }

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
    WorldOptions options_;
    Trace& trace_;
    boost::asio::io_context ctx_{1};
    emu::VirtualClock clock_{ctx_};
    emu::Rng rng_;
    std::map<std::string, emu::Rng> streams_;
    emu::KernelLog klog_;
    emu::TargetRegistry targets_;
    emu::DeviceMapper dm_;
    logs::InProcessLogServer server_;
    std::shared_ptr<UlogObserver> observer_;
    transfer::KernelEndpoint endpoint_;
    std::unique_ptr<dmsetup::IoctlChannel> channel_;
    DataModel data_;
    std::unique_ptr<BackgroundIo> background_;
    std::map<std::string, Mark> marks_;
    std::map<std::string, std::vector<std::string>> problems_;
    std::shared_ptr<void> server_log_capture_;
    enum class ServerState { running, crashed, frozen } server_state_ = ServerState::running;
};

}  // namespace dmemu::scenario
