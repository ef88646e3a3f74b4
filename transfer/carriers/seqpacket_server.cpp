// SPDX-License-Identifier: GPL-2.0-only
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include "transfer/carriers/seqpacket_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <system_error>

#include "transfer/carriers/listening_socket.hpp"
#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/seqpacket_end.hpp"

namespace dmemu::transfer {

namespace asio = boost::asio;
using Protocol = SeqPacketProtocol;

struct SeqpacketServer::State {
    State(asio::io_context& ctx, std::string p, Side side)
        : path(std::move(p)), acceptor(ctx), end(std::make_shared<SeqpacketEnd>(side)) {}

    std::string path;
    Protocol::acceptor acceptor;
    std::shared_ptr<SeqpacketEnd> end;
};

SeqpacketServer::SeqpacketServer(asio::io_context& ctx, std::string path, Side side)
    : state_(std::make_shared<State>(ctx, std::move(path), side)) {
    listen_at(state_->acceptor, state_->path);
    // A captureless lambda: the coroutine frame owns its copy of the state, never `this`.
    auto accept_loop = [](std::shared_ptr<State> state) -> asio::awaitable<void> {
        for (;;) {
            boost::system::error_code ec;
            auto socket = co_await state->acceptor.async_accept(
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
            if (ec) {
                spdlog::warn("seqpacket: accept on '{}' failed: {}", state->path, ec.message());
                continue;
            }
            if (state->end->connected())
                spdlog::info("seqpacket: new peer on '{}' replaces the old one", state->path);
            state->end->attach(Protocol::socket(std::move(socket)));
        }
    };
    asio::co_spawn(ctx, accept_loop(state_), asio::detached);
}

SeqpacketServer::~SeqpacketServer() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    state_->end->set_receiver(nullptr);
    state_->end->detach();
    std::error_code ec;
    std::filesystem::remove(state_->path, ec);
}

const std::string& SeqpacketServer::path() const { return state_->path; }
bool SeqpacketServer::has_peer() const { return state_->end->connected(); }
void SeqpacketServer::drop_peer() { state_->end->detach(); }
int SeqpacketServer::send(std::vector<std::byte> message) {
    return state_->end->send(std::move(message));
}
void SeqpacketServer::set_receiver(Receiver receiver) {
    state_->end->set_receiver(std::move(receiver));
}
HookChain& SeqpacketServer::hooks() { return state_->end->hooks(); }

}  // namespace dmemu::transfer
