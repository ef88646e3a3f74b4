// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/in_process.hpp"

#include <boost/asio/post.hpp>
#include <cerrno>
#include <utility>

namespace dmemu::transfer {

namespace asio = boost::asio;

namespace {
constexpr std::size_t index_of(Side side) { return side == Side::kernel ? 0 : 1; }
constexpr Side peer_of(Side side) { return side == Side::kernel ? Side::userspace : Side::kernel; }
constexpr std::size_t index_of(Direction d) { return d == Direction::to_userspace ? 0 : 1; }
}  // namespace

struct InProcessLink::State {
    explicit State(asio::io_context& c) : ctx(c) {}

    struct Listener {
        Carrier::Receiver receiver;
        std::uint64_t epoch = 0;  // bumped on every set_receiver: in-flight data is for one epoch
    };

    asio::io_context& ctx;
    HookChain hooks;
    std::array<Listener, 2> listeners;
    std::array<std::uint64_t, 2> delivered{};  // by Direction
};

class InProcessLink::End final : public Carrier {
public:
    End(std::shared_ptr<State> state, Side side) : state_(std::move(state)), side_(side) {}

    int send(std::vector<std::byte> message) override {
        const Side to = peer_of(side_);
        const auto& listener = state_->listeners[index_of(to)];
        if (!listener.receiver) return -ESRCH;
        std::weak_ptr<State> weak = state_;
        const std::uint64_t epoch = listener.epoch;
        // No hooks: straight to delivery, as the empty chain would (and at the same moment),
        // without wrapping the continuation in a std::function.
        if (state_->hooks.size() == 0) {
            post_delivery(weak, to, epoch, std::move(message));
            return 0;
        }
        state_->hooks.run(outgoing(side_), std::move(message),
                          [weak, to, epoch](std::vector<std::byte> m) {
                              post_delivery(weak, to, epoch, std::move(m));
                          });
        return 0;
    }

    void set_receiver(Receiver receiver) override {
        auto& listener = state_->listeners[index_of(side_)];
        listener.receiver = std::move(receiver);
        ++listener.epoch;
    }

private:
    static void post_delivery(const std::weak_ptr<State>& weak, Side to, std::uint64_t epoch,
                              std::vector<std::byte> message) {
        auto state = weak.lock();
        if (!state) return;
        asio::post(state->ctx, [weak, to, epoch, m = std::move(message)]() mutable {
            auto s = weak.lock();
            if (!s) return;
            const auto& listener = s->listeners[index_of(to)];
            if (listener.epoch != epoch || !listener.receiver) return;
            ++s->delivered[index_of(incoming(to))];
            auto receiver = listener.receiver;  // it may replace itself while running
            receiver(std::move(m));
        });
    }

    std::shared_ptr<State> state_;
    Side side_;
};

InProcessLink::InProcessLink(asio::io_context& ctx)
    : state_(std::make_shared<State>(ctx)),
      kernel_(std::make_unique<End>(state_, Side::kernel)),
      server_(std::make_unique<End>(state_, Side::userspace)) {}

InProcessLink::~InProcessLink() = default;

Carrier& InProcessLink::kernel_side() { return *kernel_; }
Carrier& InProcessLink::server_side() { return *server_; }
HookChain& InProcessLink::hooks() { return state_->hooks; }

std::uint64_t InProcessLink::delivered(Direction direction) const {
    return state_->delivered[index_of(direction)];
}

}  // namespace dmemu::transfer
