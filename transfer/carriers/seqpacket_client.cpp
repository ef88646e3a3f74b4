// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/seqpacket_client.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>

#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/seqpacket_end.hpp"

namespace dmemu::transfer {

namespace asio = boost::asio;
using Protocol = SeqPacketProtocol;

SeqpacketClient::SeqpacketClient(asio::io_context& ctx, std::string path, Side side,
                                 bool auto_connect)
    : ctx_(ctx),
      path_(std::move(path)),
      auto_connect_(auto_connect),
      end_(std::make_shared<SeqpacketEnd>(side)) {}

SeqpacketClient::~SeqpacketClient() {
    end_->set_receiver(nullptr);
    end_->detach();
}

int SeqpacketClient::connect() {
    if (end_->connected()) return 0;
    Protocol::socket socket(ctx_);
    boost::system::error_code ec;
    socket.connect(Protocol::endpoint(path_), ec);
    if (ec) {
        spdlog::debug("seqpacket: connect to '{}' failed: {}", path_, ec.message());
        return ec.category() == boost::system::system_category() ? -ec.value() : -ECONNREFUSED;
    }
    end_->attach(std::move(socket));
    return 0;
}

void SeqpacketClient::disconnect() { end_->detach(); }

bool SeqpacketClient::connected() const { return end_->connected(); }

int SeqpacketClient::send(std::vector<std::byte> message) {
    if (!end_->connected() && auto_connect_ && connect() != 0) return -ESRCH;
    return end_->send(std::move(message));
}

void SeqpacketClient::set_receiver(Receiver receiver) { end_->set_receiver(std::move(receiver)); }

HookChain& SeqpacketClient::hooks() { return end_->hooks(); }

}  // namespace dmemu::transfer
