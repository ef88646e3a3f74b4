// SPDX-License-Identifier: GPL-2.0-only
// dmemu's own log server as a machine's: logs::InProcessLogServer on the machine's loop.
// A crash replaces the server's receiver on the link: what reaches a dead server is lost, as
// with a dead process's socket. A freeze is a gate, the last hook on the link, that holds every
// request until the thaw and then lets them through in order: what a hung cmirrord does (its
// socket queues them; SIGCONT and it answers them all, the ones the kernel side gave up on
// included, whose late replies the kernel ignores). The real cmirrord showed that (docs/ulog.md).
#include "emu/sim/log_server_side.hpp"
#include "logs/userspace/log_server_connection.hpp"

namespace dmemu::scenario {

namespace {

class FreezeGate final : public transfer::MessageHook {
public:
    void on_message(transfer::Direction direction, std::vector<std::byte> message,
                    Forward forward) override {
        if (frozen_ && direction == transfer::Direction::to_userspace)
            held_.emplace_back(std::move(message), std::move(forward));
        else
            forward(std::move(message));
    }
    void freeze() { frozen_ = true; }
    // The process died: what it held is lost.
    void drop() {
        frozen_ = false;
        held_.clear();
    }
    void thaw() {
        frozen_ = false;
        auto held = std::move(held_);
        held_.clear();
        for (auto& [message, forward] : held) forward(std::move(message));
    }

private:
    bool frozen_ = false;
    std::vector<std::pair<std::vector<std::byte>, Forward>> held_;
};

class ModelLogServer final : public LogServerSide {
public:
    ModelLogServer(boost::asio::io_context& ctx, logs::MatchMode match)
        : server_(ctx, options(match)) {}

    transfer::Carrier& kernel_carrier() override { return server_.kernel_carrier(); }
    transfer::HookChain& hooks() override { return server_.link().hooks(); }
    void hooks_appended() override { server_.link().hooks().append(gate_); }
    logs::LogServer* engine() override { return &server_.engine(); }
    std::string describe() const override { return "dmemu-ulogd model, in process"; }

    std::string crash() override {
        gate_->drop();
        server_.stop();
        server_.link().server_side().set_receiver(nullptr);
        return {};
    }
    std::string restart() override {
        server_.link().server_side().set_receiver(nullptr);
        server_.restart();
        return {};
    }
    std::string freeze() override {
        gate_->freeze();
        return {};
    }
    std::string thaw() override {
        gate_->thaw();
        return {};
    }
    void power_off() override {
        server_.stop();
        server_.link().server_side().set_receiver(nullptr);
    }

private:
    static logs::LogServerOptions options(logs::MatchMode match) {
        logs::LogServerOptions s;
        s.match = match;
        return s;
    }

    logs::InProcessLogServer server_;
    std::shared_ptr<FreezeGate> gate_ = std::make_shared<FreezeGate>();
};

}  // namespace

std::unique_ptr<LogServerSide> make_model_log_server(boost::asio::io_context& ctx,
                                                     logs::MatchMode match) {
    return std::make_unique<ModelLogServer>(ctx, match);
}

}  // namespace dmemu::scenario
