// SPDX-License-Identifier: GPL-2.0-only
// The log server's life:
//   crash-log-server     the server process dies: nobody listens, the kernel side gets -ESRCH
//                        (control requests fail, others enter the 2 s reconnect loop)
//   restart-log-server   a fresh server (all log state lost) listens again
//   freeze-log-server    the server listens but never answers: requests time out after 15 s
//                        and are resent, for ever
//   thaw-log-server      the frozen server answers again, its state intact
#include "tools/scenario/step_registry.hpp"
#include "tools/scenario/world.hpp"

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
                world.crash_log_server();
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
    ServerEvent event_;
};

template <ServerEvent E>
std::unique_ptr<Step> make(StepArgs& a) {
    a.require(0, 0);
    return std::make_unique<ServerStep>(E);
}

}  // namespace

void register_log_server_steps(StepRegistry& r) {
    r.add(StepKind{"crash-log-server", "crash-log-server", make<ServerEvent::crash>});
    r.add(StepKind{"restart-log-server", "restart-log-server", make<ServerEvent::restart>});
    r.add(StepKind{"freeze-log-server", "freeze-log-server", make<ServerEvent::freeze>});
    r.add(StepKind{"thaw-log-server", "thaw-log-server", make<ServerEvent::thaw>});
}

}  // namespace dmemu::scenario
