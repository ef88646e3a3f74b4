// SPDX-License-Identifier: GPL-2.0-only
// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include "transfer/carriers/netlink_connector_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "transfer/carriers/listening_socket.hpp"
#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/seqpacket_connection.hpp"
#include "transfer/netlink_frame.hpp"

namespace dmemu::transfer {

namespace asio = boost::asio;
using Protocol = SeqPacketProtocol;

struct NetlinkConnectorServer::State : std::enable_shared_from_this<State> {
    State(asio::io_context& ctx, std::string p) : path(std::move(p)), acceptor(ctx) {}

    std::string path;
    Protocol::acceptor acceptor;
    std::vector<std::shared_ptr<SeqpacketConnection>> sockets;
    HookChain hooks;
    std::shared_ptr<const Receiver> receiver;
    std::function<void(std::size_t)> listeners_changed;
    std::size_t reported = 0;

    void forget_closed() {
        std::erase_if(sockets, [](const auto& s) { return !s->is_open(); });
        if (sockets.size() != reported) {
            reported = sockets.size();
            if (listeners_changed) listeners_changed(reported);
        }
    }
    // netlink_broadcast: one copy to every socket in the group.
    void multicast(std::vector<std::byte> cn) {
        forget_closed();
        const std::vector<std::byte> datagram = netlink_wrap(cn);
        for (const auto& s : sockets) s->send(datagram);
    }
    void deliver(std::vector<std::byte> cn) {
        if (!receiver) return;
        const auto r = receiver;  // it may replace itself while running
        (*r)(std::move(cn));
    }
    void received(std::vector<std::byte> datagram) {
        std::string why;
        auto cn = netlink_unwrap(datagram, &why);
        if (!cn) {
            spdlog::debug("connector: datagram dropped (as cn_rx_skb drops it): {}", why);
            return;
        }
        if (hooks.size() == 0) {
            deliver(std::move(*cn));
            return;
        }
        std::weak_ptr<State> weak = weak_from_this();
        hooks.run(incoming(Side::kernel), std::move(*cn), [weak](std::vector<std::byte> in) {
            if (auto s = weak.lock()) s->deliver(std::move(in));
        });
    }
    void attach(Protocol::socket socket) {
        auto conn = std::make_shared<SeqpacketConnection>(std::move(socket));
        std::weak_ptr<State> weak = weak_from_this();
        conn->start(
            [weak](std::vector<std::byte> m) {
                if (auto s = weak.lock()) s->received(std::move(m));
            },
            [weak] {
                if (auto s = weak.lock()) s->forget_closed();
            });
        sockets.push_back(std::move(conn));
        forget_closed();
        spdlog::info("connector: a process joined CN_IDX_DM on '{}' ({} listening)", path,
                     sockets.size());
    }
};

NetlinkConnectorServer::NetlinkConnectorServer(asio::io_context& ctx, std::string path)
    : state_(std::make_shared<State>(ctx, std::move(path))) {
    listen_at(state_->acceptor, state_->path);
    auto accept_loop = [](std::shared_ptr<State> state) -> asio::awaitable<void> {
        for (;;) {
            boost::system::error_code ec;
            auto socket = co_await state->acceptor.async_accept(
                asio::redirect_error(asio::use_awaitable, ec));
            if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
            if (ec) {
                spdlog::warn("connector: accept on '{}' failed: {}", state->path, ec.message());
                continue;
            }
            state->attach(Protocol::socket(std::move(socket)));
        }
    };
    asio::co_spawn(ctx, accept_loop(state_), asio::detached);
}

NetlinkConnectorServer::~NetlinkConnectorServer() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    state_->receiver.reset();
    for (const auto& s : state_->sockets) s->close();
    state_->sockets.clear();
    std::error_code ec;
    std::filesystem::remove(state_->path, ec);
}

const std::string& NetlinkConnectorServer::path() const { return state_->path; }

std::size_t NetlinkConnectorServer::listeners() const {
    return static_cast<std::size_t>(std::count_if(state_->sockets.begin(), state_->sockets.end(),
                                                  [](const auto& s) { return s->is_open(); }));
}

int NetlinkConnectorServer::send(std::vector<std::byte> message) {
    if (listeners() == 0) return -ESRCH;
    if (state_->hooks.size() == 0) {
        state_->multicast(std::move(message));
        return 0;
    }
    std::weak_ptr<State> weak = state_;
    state_->hooks.run(outgoing(Side::kernel), std::move(message),
                      [weak](std::vector<std::byte> out) {
                          if (auto s = weak.lock()) s->multicast(std::move(out));
                      });
    return 0;
}

void NetlinkConnectorServer::set_receiver(Receiver receiver) {
    state_->receiver = receiver ? std::make_shared<const Receiver>(std::move(receiver)) : nullptr;
}

HookChain& NetlinkConnectorServer::hooks() { return state_->hooks; }

void NetlinkConnectorServer::publish_listeners(std::string file) {
    auto write_count = [file = std::move(file)](std::size_t n) {
        const std::string tmp = file + ".new";
        if (std::FILE* f = std::fopen(tmp.c_str(), "we")) {
            std::fprintf(f, "%zu\n", n);
            std::fclose(f);
            std::rename(tmp.c_str(), file.c_str());
        }
    };
    write_count(listeners());
    on_listeners_changed(std::move(write_count));
}

void NetlinkConnectorServer::on_listeners_changed(std::function<void(std::size_t)> fn) {
    state_->listeners_changed = std::move(fn);
}

}  // namespace dmemu::transfer
