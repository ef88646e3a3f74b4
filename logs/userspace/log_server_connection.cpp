// SPDX-License-Identifier: GPL-2.0-only
#include "logs/userspace/log_server_connection.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "transfer/cn_msg.hpp"

namespace dmemu::logs {

namespace {

using transfer::CnMsg;
using transfer::DmUlogRequest;

// The request header read without validation, for answering a message decode() refused.
std::optional<transfer::UlogMessage> raw_request(const std::vector<std::byte>& bytes) {
    if (bytes.size() < sizeof(CnMsg) + sizeof(DmUlogRequest)) return std::nullopt;
    DmUlogRequest rq;
    std::memcpy(&rq, bytes.data() + sizeof(CnMsg), sizeof(rq));
    transfer::UlogMessage m;
    transfer::UlogHeader h;
    h.luid = rq.luid;
    h.uuid.assign(rq.uuid, strnlen(rq.uuid, transfer::kMaxUuidLength));
    h.version = rq.version;
    h.seq = rq.seq;
    h.type = static_cast<transfer::UlogRequestType>(rq.request_type);
    m.req = std::move(h);
    return m;
}

}  // namespace

LogServerConnection::LogServerConnection(transfer::Carrier& carrier, LogServer& engine)
    : carrier_(carrier), engine_(engine) {
    carrier_.set_receiver([this](std::vector<std::byte> bytes) { on_message(std::move(bytes)); });
}

LogServerConnection::~LogServerConnection() { carrier_.set_receiver(nullptr); }

void LogServerConnection::on_message(std::vector<std::byte> bytes) {
    if (auto error = transfer::decode_into(bytes, request_)) {
        auto raw = raw_request(bytes);
        if (!raw) {
            ++dropped_;
            spdlog::warn("ulog-server: dropped a malformed request: {}", error->message);
            return;
        }
        const auto raw_type = static_cast<std::uint32_t>(raw->req->type);
        if (raw_type == 0) {
            ++nacked_;
            carrier_.send(transfer::encode(transfer::make_bare_ack(raw->req->seq, EAGAIN)));
            return;
        }
        if (error->code == transfer::DecodeErrc::unknown_request_type) {
            ++dropped_;
            spdlog::error("ulog-server: Invalid log request received ({}), ignoring.", raw_type);
            return;
        }
        spdlog::error("ulog-server: [{}] bad request: {}", raw->req->seq, error->message);
        try {
            carrier_.send(transfer::encode(transfer::make_reply(*raw, -EINVAL, {})));
        } catch (const std::exception& e) {
            ++dropped_;
            spdlog::warn("ulog-server: cannot answer seq {}: {}", raw->req->seq, e.what());
        }
        return;
    }
    if (request_.is_bare_ack()) {
        ++dropped_;
        spdlog::warn("ulog-server: dropped a bare ack (seq {}): the kernel sends none",
                     request_.cn.seq);
        return;
    }
    engine_.handle(request_, &response_);
    // The request is decoded (copied out of `bytes`): its buffer carries the answer back.
    switch (response_.kind) {
        case ServerResponse::Kind::reply:
            transfer::encode_reply(request_, response_.error, response_.data, bytes);
            carrier_.send(std::move(bytes));
            break;
        case ServerResponse::Kind::bare_ack:
            transfer::encode_into(transfer::make_bare_ack(request_.req->seq, response_.ack_errno),
                                  bytes);
            carrier_.send(std::move(bytes));
            break;
        case ServerResponse::Kind::none:
            break;
    }
}

InProcessLogServer::InProcessLogServer(boost::asio::io_context& ctx, LogServerOptions options,
                                       bool start_now)
    : options_(options), link_(ctx), engine_(std::make_unique<LogServer>(options)) {
    if (start_now) start();
}

InProcessLogServer::~InProcessLogServer() { connection_.reset(); }

void InProcessLogServer::start() {
    if (!connection_)
        connection_ = std::make_unique<LogServerConnection>(link_.server_side(), *engine_);
}

void InProcessLogServer::stop() { connection_.reset(); }

void InProcessLogServer::restart() {
    connection_.reset();
    engine_ = std::make_unique<LogServer>(options_);
    start();
}

}  // namespace dmemu::logs
