// SPDX-License-Identifier: GPL-2.0-only
#include "tools/scenario/world.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <mutex>

#include "emu/targets/builtin.hpp"
#include "logs/userspace/userspace_log.hpp"
#include "tools/dmsetup/in_process_channel.hpp"
#include "tools/scenario/background_io.hpp"
#include "tools/scenario/driver.hpp"

namespace dmemu::scenario {

namespace {

// Every ioctl the dmsetup layer makes, into the trace with its result.
class TracingChannel final : public dmsetup::IoctlChannel {
public:
    TracingChannel(emu::DeviceMapper& dm, Trace& trace) : inner_(dm), trace_(trace) {}
    asio::awaitable<emu::DmReply> call(emu::DmRequest req) override {
        const emu::DmCommand cmd = req.cmd;
        std::string name = req.name;
        auto reply = co_await inner_.call(std::move(req));
        if (trace_.enabled()) {
            Json j = trace_.event("ioctl");
            j["cmd"] = emu::to_string(cmd);
            if (!name.empty()) j["name"] = name;
            j["error"] = reply.error;
            trace_.emit(j);
        }
        co_return reply;
    }
    asio::awaitable<void> retry_delay(std::chrono::milliseconds delay) override {
        co_await inner_.retry_delay(delay);
    }

private:
    dmsetup::InProcessChannel inner_;
    Trace& trace_;
};

// The log server's own log lines (cmirrord's LOG_ERROR: "Log already exists", "DTR before SUS")
// go into the trace instead of stderr, without the wall-clock stamp spdlog would add.
class TraceSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit TraceSink(Trace& trace) : trace_(trace) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (!trace_.enabled()) return;
        Json j = trace_.event("server_log");
        j["level"] = std::string(spdlog::level::to_string_view(msg.level).data(),
                                 spdlog::level::to_string_view(msg.level).size());
        j["text"] = printable(std::string_view(msg.payload.data(), msg.payload.size()));
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

logs::LogServerOptions server_options(const WorldOptions& o) {
    logs::LogServerOptions s;
    s.match = o.match;
    return s;
}

emu::DeviceMapper::Options dm_options() {
    emu::DeviceMapper::Options o;
    o.dm_major = 253;
    return o;
}

std::string strip_dev(const std::string& name) {
    for (const char* prefix : {"/dev/mapper/", "/dev/"})
        if (name.rfind(prefix, 0) == 0) return name.substr(std::string_view(prefix).size());
    return name;
}

}  // namespace

World::World(WorldOptions options, Trace& trace)
    : options_(options),
      trace_(trace),
      rng_(options.seed),
      dm_(ctx_, clock_, rng_, klog_, targets_, dm_options()),
      server_(ctx_, server_options(options)),
      observer_(std::make_shared<UlogObserver>(
          trace, [this]() -> logs::LogServer& { return server_.engine(); })),
      endpoint_(clock_, klog_, server_.kernel_carrier()),
      channel_(std::make_unique<TracingChannel>(dm_, trace)),
      data_(options.seed),
      background_(std::make_unique<BackgroundIo>(*this)),
      server_log_capture_(capture_server_log(trace)) {
    trace_.attach_clock(&clock_);
    observer_->set_clock(&clock_);
    emu::register_builtin_targets(targets_);
    klog_.set_echo(false);
    klog_.subscribe([this](const emu::KernelLine& line) {
        if (!trace_.enabled()) return;
        Json j = trace_.event("kernel");
        j["level"] = line.level == emu::KernelLevel::err    ? "err"
                     : line.level == emu::KernelLevel::warn ? "warn"
                                                            : "info";
        j["text"] = line.text;
        trace_.emit(j);
    });
    server_.link().hooks().append(observer_);
    dm_.set_ulog_endpoint(&endpoint_);
    // The kernel's is_remote_recovering limit is a function static: a new world starts afresh.
    logs::userspace_log_reset_remote_recovering_limit();
}

World::~World() {
    // Nothing may run against the objects below once they start going.
    background_->stop_all();
}

emu::Rng& World::stream(const std::string& name) {
    auto it = streams_.find(name);
    if (it == streams_.end()) it = streams_.emplace(name, rng_.stream(name)).first;
    return it->second;
}

DeviceHandle World::device(const std::string& name) {
    DeviceHandle h;
    const std::string bare = strip_dev(name);
    if (auto md = dm_.find_mapped(bare)) {
        h.dev = md.get();
        h.mapped = std::move(md);
        return h;
    }
    h.dev = dm_.find_disk(bare);
    return h;
}

asio::awaitable<DeviceHandle> World::device_by_number(std::string majmin) {
    for (const auto& name : dm_.mapped_names())
        if (auto md = dm_.find_mapped(name); md && md->devt().str() == majmin)
            co_return device(name);
    emu::DmRequest req;
    req.cmd = emu::DmCommand::disk_list;
    auto reply = co_await dm_.ioctl(std::move(req));
    for (const auto& d : reply.disks)
        if (d.devt.str() == majmin) co_return device(d.name);
    co_return DeviceHandle{};
}

void World::crash_log_server() {
    server_.stop();
    server_.link().server_side().set_receiver(nullptr);
    server_state_ = ServerState::crashed;
}

void World::restart_log_server() {
    server_.link().server_side().set_receiver(nullptr);
    server_.restart();
    observer_->server_restarted();
    server_state_ = ServerState::running;
}

void World::freeze_log_server() {
    server_.stop();
    server_.link().server_side().set_receiver([](std::vector<std::byte>) {});
    server_state_ = ServerState::frozen;
}

void World::thaw_log_server() {
    if (server_state_ != ServerState::frozen) return;
    server_.link().server_side().set_receiver(nullptr);
    server_.start();
    server_state_ = ServerState::running;
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
    // The kernel side's dtrs need a server that answers, or they wait for ever.
    if (server_state_ == ServerState::frozen) thaw_log_server();
    if (server_state_ == ServerState::crashed) restart_log_server();
    auto done = std::make_shared<bool>(false);
    asio::co_spawn(
        ctx_,
        [this, done]() -> asio::awaitable<void> {
            co_await dm_.shutdown();
            *done = true;
        },
        asio::detached);
    return drive(
        *this, [&] { return *done && background_->active({}) == 0; }, clock_.now() + limit);
}

}  // namespace dmemu::scenario
