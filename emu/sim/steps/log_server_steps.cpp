// SPDX-License-Identifier: GPL-2.0-only
// The log server's life:
//   crash-log-server     the server process dies: nobody listens, the kernel side gets -ESRCH
//                        (control requests fail, others enter the 2 s reconnect loop)
//   crash-log-server [at=TYPE] [luid=old|new|Ln]
//                        armed: the server dies the moment a request of TYPE (from that log:
//                        old = the live table's, new = the one just loaded, as `expect
//                        log-request` names them) reaches it, before handling it; the request
//                        is lost with the server (crash_trigger.hpp). The step returns at once.
//   restart-log-server   a fresh server (all log state lost) listens again
//   freeze-log-server    the server listens but never answers: requests time out after 15 s
//                        and are resent, for ever
//   thaw-log-server      the frozen server answers again, its state intact
#include "emu/sim/log_selector.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

enum class ServerEvent { crash, restart, freeze, thaw };

class ServerStep final : public Step {
public:
    explicit ServerStep(ServerEvent event) : event_(event) {}
    asio::awaitable<StepResult> run(World& world) override {
        const char* name = "crash";
        switch (event_) {
            case ServerEvent::crash:
                world.crash_trigger().disarm();
                world.crash_log_server();
                note_crash(world);
                break;
            case ServerEvent::restart:
                world.restart_log_server();
                name = "restart";
                break;
            case ServerEvent::freeze:
                world.freeze_log_server();
                name = "freeze";
                break;
            case ServerEvent::thaw:
                world.thaw_log_server();
                name = "thaw";
                break;
        }
        auto& trace = world.trace();
        if (trace.enabled()) {
            Json j = trace.event("server");
            j["event"] = name;
            trace.emit(j);
        }
        co_return StepResult::pass();
    }

private:
    // A crash is a fault that fired, as the armed crash's (World::crash_at) and a plan's are:
    // counted in the sweep's fault matrix and shown with the other faults in the trace.
    static void note_crash(World& world) {
        Json j = world.trace().event("fault");
        j["where"] = "log-server";
        j["fault"] = "crash";
        j["what"] = "crash-log-server: the server died";
        world.note_fault(std::move(j), "log-server", "crash");
    }

    ServerEvent event_;
};

// crash-log-server with at= or luid=: arms the trigger on the server's side of the link.
class ArmCrashStep final : public Step {
public:
    ArmCrashStep(std::optional<transfer::UlogRequestType> type, std::optional<std::string> luid)
        : type_(type), luid_(std::move(luid)) {}
    asio::awaitable<StepResult> run(World& world) override {
        CrashArm arm;
        arm.type = type_;
        if (luid_) arm.luid = log_selector(world, *luid_);
        world.crash_trigger().arm(std::move(arm));
        auto& trace = world.trace();
        if (trace.enabled()) {
            Json j = trace.event("server");
            j["event"] = "armed";
            if (type_) j["at"] = transfer::short_name(*type_);
            if (luid_) j["luid"] = *luid_;
            trace.emit(j);
        }
        co_return StepResult::pass();
    }

private:
    std::optional<transfer::UlogRequestType> type_;
    std::optional<std::string> luid_;
};

std::unique_ptr<Step> make_crash(StepArgs& a) {
    auto at = a.option("at");
    auto luid = a.option("luid");
    a.no_more_options();
    a.require(0, 0);
    if (!at && !luid) return std::make_unique<ServerStep>(ServerEvent::crash);
    std::optional<transfer::UlogRequestType> type;
    if (at) {
        type = transfer::request_type_from_name(*at);
        if (!type)
            a.fail("expected at=TYPE, a request type (CTR, RESUME, FLUSH, ...), got '" + *at + "'");
    }
    if (luid && !valid_log_selector(*luid)) a.fail("expected luid=old|new|Ln, got '" + *luid + "'");
    return std::make_unique<ArmCrashStep>(type, std::move(luid));
}

template <ServerEvent E>
std::unique_ptr<Step> make(StepArgs& a) {
    a.require(0, 0);
    return std::make_unique<ServerStep>(E);
}

}  // namespace

void register_log_server_steps(StepRegistry& r) {
    r.add(StepKind{"crash-log-server", "crash-log-server [at=TYPE] [luid=old|new|Ln]", make_crash});
    r.add(StepKind{"restart-log-server", "restart-log-server", make<ServerEvent::restart>});
    r.add(StepKind{"freeze-log-server", "freeze-log-server", make<ServerEvent::freeze>});
    r.add(StepKind{"thaw-log-server", "thaw-log-server", make<ServerEvent::thaw>});
}

}  // namespace dmemu::scenario
