// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/ulog_server_endpoint.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>

namespace dmemu::transfer {

UlogServerEndpoint::UlogServerEndpoint(Carrier& carrier, Handler handler)
    : carrier_(carrier), handler_(std::move(handler)) {
    carrier_.set_receiver([this](std::vector<std::byte> bytes) { on_message(std::move(bytes)); });
}

UlogServerEndpoint::~UlogServerEndpoint() { carrier_.set_receiver(nullptr); }

int UlogServerEndpoint::reply(const UlogMessage& request, std::int32_t error,
                              std::span<const std::byte> data) {
    if (request.is_bare_ack()) {
        spdlog::error("ulog-server: cannot reply to a bare ack (seq {})", request.cn.seq);
        return -EINVAL;
    }
    if (sizeof(CnMsg) + sizeof(DmUlogRequest) + data.size() > CONNECTOR_MAX_MSG_SIZE) {
        spdlog::error(
            "ulog-server: reply data of {} bytes to {} [{}] exceeds CONNECTOR_MAX_MSG_SIZE {}",
            data.size(), to_string(request.req->type), request.req->seq, CONNECTOR_MAX_MSG_SIZE);
        return -EMSGSIZE;
    }
    std::vector<std::byte> message;
    encode_reply(request, error, data, message);
    return carrier_.send(std::move(message));
}

int UlogServerEndpoint::ack(std::uint32_t seq, std::uint32_t positive_errno) {
    return carrier_.send(encode(make_bare_ack(seq, positive_errno)));
}

void UlogServerEndpoint::on_message(std::vector<std::byte> bytes) {
    auto message = decode(bytes);
    if (!message) {
        ++dropped_;
        spdlog::warn("ulog-server: dropped a malformed request: {}", message.error().message);
        return;
    }
    if (message->is_bare_ack()) {
        ++dropped_;
        spdlog::warn("ulog-server: dropped a bare ack (seq {}, ack {}): the kernel sends none",
                     message->cn.seq, message->cn.ack);
        return;
    }
    if (handler_) handler_(*message);
}

}  // namespace dmemu::transfer
