// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/world.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <mutex>

#include "emu/core/kcopyd.hpp"
#include "emu/faults/faulty_disk.hpp"
#include "emu/sim/background_io.hpp"
#include "emu/sim/driver.hpp"
#include "emu/sim/fault_plan.hpp"
#include "emu/sim/real_log_server.hpp"
#include "logs/userspace/userspace_log.hpp"

namespace dmemu::scenario {

namespace {

// The log server's own log lines (cmirrord's LOG_ERROR: "Log already exists", "DTR before SUS")
// go into the trace instead of stderr, without the wall-clock stamp spdlog would add. The
// device mapper's one-line note of each fault firing ("fault: t=...") is left out: the world
// traces every firing itself, as a "fault" line.
class TraceSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit TraceSink(Trace& trace) : trace_(trace) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (!trace_.enabled()) return;
        const std::string_view text(msg.payload.data(), msg.payload.size());
        if (text.rfind("fault: t=", 0) == 0) return;
        Json j = trace_.event("server_log");
        j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                 spdlog::level::to_string_view(msg.level).size());
        j["text"] = printable(text);
        trace_.emit(j);
    }
    void flush_() override {}

private:
    Trace& trace_;
};

// Installs a default logger that writes to the trace for the world's lifetime.
std::shared_ptr<void> capture_server_log(Trace& trace) {
    auto previous = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("scenario", std::make_shared<TraceSink>(trace));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
    return std::shared_ptr<void>(nullptr,
                                 [previous](void*) { spdlog::set_default_logger(previous); });
}

std::string strip_dev(const std::string& name) {
    for (const char* prefix : {"/dev/mapper/", "/dev/"})
        if (name.rfind(prefix, 0) == 0) return name.substr(std::string_view(prefix).size());
    return name;
}

// Machines whose power was cut: kept, never run and never destroyed (machine.hpp), not even at
// exit, like the runner's stuck worlds.
std::vector<std::unique_ptr<Machine>>& retired_machines() {
    static auto* machines = new std::vector<std::unique_ptr<Machine>>;
    return *machines;
}

std::string sectors_text(emu::Sector sector, std::uint64_t sectors) {
    return fmt::format("{}+{}", sector, sectors);
}

}  // namespace

World::World(WorldOptions options, Trace& trace)
    : options_(options),
      trace_(trace),
      rng_(options.seed),
      observer_(
          std::make_shared<UlogObserver>(trace, [this]() { return machine_->server->engine(); })),
      data_(options.seed),
      server_log_capture_(capture_server_log(trace)) {
    // The first machine draws from the run's Rng itself, as the world always did.
    machine_ = boot(emu::TimePoint{}, rng_);
    background_ = std::make_unique<BackgroundIo>(*this);
}

World::~World() {
    // Nothing may run against the objects below once they start going.
    background_->stop_all();
}

std::unique_ptr<Machine> World::boot(emu::TimePoint start, emu::Rng mapper_rng) {
    auto server = options_.log_server == "dmemu"
                      ? make_model_log_server(ctx_, options_.match)
                      : make_real_log_server(ctx_, options_.log_server, options_.cmirrord_dir);
    auto m = std::make_unique<Machine>(ctx_, start, std::move(mapper_rng), rng_, std::move(server),
                                       trace_, observer_);
    ++boots_;
    m->dm.module_states().get<emu::Kcopyd>()->set_bandwidth(copy_bandwidth_);
    trace_.attach_clock(&m->clock);
    observer_->set_clock(&m->clock);
    m->crash = std::make_shared<CrashTrigger>(
        [this](const transfer::UlogMessage& request) { crash_at(request); });
    m->server->hooks().append(m->crash);
    m->server->hooks_appended();
    m->transport->subscribe([this](const transfer::TransportFaultEvent& e) {
        Json j = trace_.event("fault");
        j["where"] = e.link;
        j["fault"] = e.kind;
        j["id"] = e.fault;
        if (e.direction) j["dir"] = transfer::fault_direction_name(*e.direction);
        if (e.seq) j["seq"] = *e.seq;
        if (e.type) j["type"] = transfer::short_name(*e.type);
        j["what"] = e.what;
        // A held message's release and a for= expiry are notes, not firings (docs/faults.md).
        const bool firing = e.direction.has_value() && e.what.rfind("delivered ", 0) != 0;
        if (firing)
            note_fault(std::move(j), e.link, e.kind);
        else if (trace_.enabled())
            trace_.emit(j);
    });
    m->dm.subscribe([this](const emu::DeviceEvent& e) {
        if (e.kind == emu::DeviceEvent::Kind::disk_added) on_disk_added(e.name);
    });
    return m;
}

void World::set_copy_bandwidth(std::uint64_t bytes_per_second) {
    copy_bandwidth_ = bytes_per_second;
    machine_->dm.module_states().get<emu::Kcopyd>()->set_bandwidth(bytes_per_second);
}

void World::on_disk_added(const std::string& name) {
    emu::FaultyDisk* disk = machine_->dm.find_faulty_disk(name);
    if (disk == nullptr) return;
    disk->subscribe([this](const emu::FaultEvent& e) {
        Json j = trace_.event("fault");
        j["where"] = "disk " + e.disk;
        j["fault"] = e.kind;
        j["id"] = e.fault;
        j["sectors"] = sectors_text(e.sector, e.sectors);
        j["what"] = e.what;
        note_fault(std::move(j), "disk", e.kind);
    });
    if (plan_) plan_->on_disk(*this, name);
}

void World::note_fault(Json event, const std::string& where, const std::string& kind) {
    ++faults_fired_[where + " " + kind];
    if (trace_.enabled()) trace_.emit(event);
}

void World::set_fault_plan(std::shared_ptr<FaultPlan> plan) {
    plan_ = std::move(plan);
    if (plan_) plan_->start(*this);
}

emu::Rng& World::stream(const std::string& name) {
    auto it = streams_.find(name);
    if (it == streams_.end()) it = streams_.emplace(name, rng_.stream(name)).first;
    return it->second;
}

DeviceHandle World::device(const std::string& name) {
    DeviceHandle h;
    const std::string bare = strip_dev(name);
    if (auto md = dm().find_mapped(bare)) {
        h.dev = md.get();
        h.mapped = std::move(md);
        return h;
    }
    h.dev = dm().find_disk(bare);
    return h;
}

asio::awaitable<DeviceHandle> World::device_by_number(std::string majmin) {
    for (const auto& name : dm().mapped_names())
        if (auto md = dm().find_mapped(name); md && md->devt().str() == majmin)
            co_return device(name);
    emu::DmRequest req;
    req.cmd = emu::DmCommand::disk_list;
    auto reply = co_await dm().ioctl(std::move(req));
    for (const auto& d : reply.disks)
        if (d.devt.str() == majmin) co_return device(d.name);
    co_return DeviceHandle{};
}

void World::crash_log_server() {
    note_server_step("crash", log_server().crash());
    server_state_ = ServerState::crashed;
}

void World::note_server_step(const char* what, const std::string& error) {
    if (error.empty() || !trace_.enabled()) return;
    Json j = trace_.event("server");
    j["event"] = what;
    j["error"] = error;
    trace_.emit(j);
}

void World::crash_at(const transfer::UlogMessage& request) {
    crash_log_server();
    const auto& h = *request.req;
    Json j = trace_.event("fault");
    j["where"] = "log-server";
    j["fault"] = "crash";
    j["type"] = transfer::short_name(h.type);
    j["luid"] = UlogObserver::log_name(observer_->log_of(h.luid));
    j["seq"] = h.seq;
    j["what"] = "the server died on this request, before handling it";
    note_fault(std::move(j), "log-server", "crash");
    if (plan_) plan_->on_crash(*this);
}

void World::restart_log_server() {
    note_server_step("restart", log_server().restart());
    observer_->server_restarted();
    server_state_ = ServerState::running;
}

void World::freeze_log_server() {
    note_server_step("freeze", log_server().freeze());
    server_state_ = ServerState::frozen;
}

void World::thaw_log_server() {
    if (server_state_ != ServerState::frozen) return;
    note_server_step("thaw", log_server().thaw());
    server_state_ = ServerState::running;
}

asio::awaitable<std::string> World::power_cut() {
    // A real daemon cannot be carried over to the next boot (its namespace and connector are the
    // machine's); the model's server can, and is.
    if (log_server().engine() == nullptr)
        co_return "power-cut: not with a real log server (--log-server " + options_.log_server +
            ")";
    // The workers' I/O in flight never completes: the jobs are forgotten, their coroutines stay
    // parked on the old machine.
    background_->abandon_all();
    emu::DmRequest req;
    req.cmd = emu::DmCommand::disk_list;
    auto list = co_await dm().ioctl(std::move(req));
    std::vector<Survivor> disks;
    bool cache_lost = false;
    std::size_t in_flight = 0;
    for (auto& d : list.disks) {
        emu::FaultyDisk* disk = dm().find_faulty_disk(d.name);
        if (disk == nullptr) continue;
        in_flight += disk->in_flight();
        if (disk->unflushed_writes() != 0) cache_lost = true;
        auto media = co_await disk->power_cut();
        disks.push_back(Survivor{d, std::move(media)});
    }
    data_.power_cut(cache_lost);
    {
        Json j = trace_.event("fault");
        j["where"] = "machine";
        j["fault"] = "power-cut";
        j["what"] = fmt::format("{} disk{}, {} bio{} in flight lost{}", disks.size(),
                                disks.size() == 1 ? "" : "s", in_flight, in_flight == 1 ? "" : "s",
                                cache_lost ? ", volatile write caches lost" : "");
        note_fault(std::move(j), "machine", "power-cut");
    }
    machine_->power_off();
    server_state_ = ServerState::running;
    reboot_ = std::move(disks);
    co_return std::string();
}

std::string World::reboot_if_pending() {
    if (!reboot_) return {};
    auto disks = std::move(*reboot_);
    reboot_.reset();
    const emu::TimePoint now = clock().now();
    retired_machines().push_back(std::move(machine_));
    machine_ = boot(now, rng_.stream(fmt::format("machine/{}", boots_ + 1)));
    observer_->server_restarted();
    if (plan_) plan_->on_boot(*this);
    std::string failed;
    for (auto& s : disks) {
        if (!s.media) continue;
        auto r = dm().adopt_disk(s.entry.name, s.entry.devt, s.entry.file, std::move(s.media));
        if (r.error != 0) failed += (failed.empty() ? "" : "; ") + r.detail;
    }
    if (trace_.enabled()) {
        Json j = trace_.event("server");
        j["event"] = "boot";
        j["disks"] = disks.size();
        if (!failed.empty()) j["error"] = failed;
        trace_.emit(j);
    }
    return failed;
}

void World::note_problem(const std::string& device, std::string what) {
    if (trace_.enabled()) {
        Json j = trace_.event("problem");
        j["dev"] = device;
        j["what"] = what;
        trace_.emit(j);
    }
    problems_[device].push_back(std::move(what));
}

const std::vector<std::string>& World::problems(const std::string& device) const {
    static const std::vector<std::string> none;
    auto it = problems_.find(strip_dev(device));
    return it == problems_.end() ? none : it->second;
}

bool World::shut_down(emu::Duration limit) {
    background_->stop_all();
    // The kernel side's dtrs need a server that answers, or they wait for ever; faults that
    // would keep them from finishing are lifted (the run is over).
    if (plan_) plan_->stop();
    crash_trigger().disarm();
    transport_faults().clear();
    for (const auto& name : dm().disk_names())
        if (auto* disk = dm().find_faulty_disk(name)) disk->clear_faults();
    if (server_state_ == ServerState::frozen) thaw_log_server();
    if (server_state_ == ServerState::crashed) restart_log_server();
    auto done = std::make_shared<bool>(false);
    asio::co_spawn(
        context(),
        [this, done]() -> asio::awaitable<void> {
            co_await dm().shutdown();
            *done = true;
        },
        asio::detached);
    return drive(
        *this, [&] { return *done && background_->active({}) == 0; }, clock().now() + limit);
}

}  // namespace dmemu::scenario
