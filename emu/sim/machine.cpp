// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/machine.hpp"

#include "emu/targets/builtin.hpp"
#include "tools/dmsetup/in_process_channel.hpp"

namespace dmemu::scenario {

namespace {

namespace asio = boost::asio;

// Every ioctl the dmsetup layer makes, into the trace with its result.
class TracingChannel final : public dmsetup::IoctlChannel {
public:
    TracingChannel(emu::DeviceMapper& dm, Trace& trace) : inner_(dm), trace_(trace) {}
    asio::awaitable<emu::DmReply> call(emu::DmRequest req) override {
        const emu::DmCommand cmd = req.cmd;
        std::string name = req.name;
        const std::int64_t started_us = trace_.now_us();
        auto reply = co_await inner_.call(std::move(req));
        if (trace_.enabled()) {
            Json j = trace_.event("ioctl");
            j["cmd"] = emu::to_string(cmd);
            if (!name.empty()) j["name"] = name;
            // dmsetup addresses some ioctls by devno or uuid (create's table_load): the device
            // the reply describes.
            if (name.empty() && reply.info.exists && !reply.info.name.empty())
                j["dev"] = reply.info.name;
            j["error"] = reply.error;
            // The line is written when the ioctl returns; the export draws it from its start.
            j["latency_us"] = j["t_us"].get<std::int64_t>() - started_us;
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

emu::DeviceMapper::Options dm_options() {
    emu::DeviceMapper::Options o;
    o.dm_major = 253;
    return o;
}

}  // namespace

Machine::Machine(boost::asio::io_context& loop, emu::TimePoint start, emu::Rng mapper_rng,
                 const emu::Rng& run_rng, std::unique_ptr<LogServerSide> log_server, Trace& trace,
                 std::shared_ptr<UlogObserver> observer)
    : ctx(loop),
      rng(std::move(mapper_rng)),
      dm(ctx, clock, rng, klog, targets, dm_options()),
      server(std::move(log_server)),
      cuttable(server->kernel_carrier()),
      endpoint(clock, klog, cuttable),
      channel(std::make_unique<TracingChannel>(dm, trace)) {
    // A restarted machine's clock starts where the old one stopped: time goes on.
    if (start.time_since_epoch().count() > 0) clock.advance(start - clock.now());
    emu::register_builtin_targets(targets);
    klog.set_echo(false);
    klog.subscribe([&trace, on = on](const emu::KernelLine& line) {
        if (!trace.enabled() || !*on) return;
        Json j = trace.event("kernel");
        j["level"] = line.level == emu::KernelLevel::err    ? "err"
                     : line.level == emu::KernelLevel::warn ? "warn"
                                                            : "info";
        j["text"] = line.text;
        trace.emit(j);
    });
    server->hooks().append(std::move(observer));
    transport = std::make_unique<transfer::TransportFaults>("ulog", server->hooks(), clock, run_rng,
                                                            &cuttable);
    dm.set_ulog_endpoint(&endpoint);
    // Virtual time waits while a real server works on a request (real_log_server.hpp).
    clock.set_hold([s = server.get()] { return s->working(); });
}

Machine::~Machine() = default;

void Machine::power_off() {
    *on = false;
    if (crash) crash->disarm();
    transport->clear();
    server->power_off();
    cuttable.set_cut(true);
}

}  // namespace dmemu::scenario
