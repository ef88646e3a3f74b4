// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/seqpacket_end.hpp"

#include <cerrno>

namespace dmemu::transfer {

void SeqpacketEnd::attach(SeqpacketConnection::Socket socket) {
    detach();
    auto conn = std::make_shared<SeqpacketConnection>(std::move(socket));
    std::weak_ptr<SeqpacketEnd> weak = weak_from_this();
    std::weak_ptr<SeqpacketConnection> weak_conn = conn;
    conn_ = conn;
    conn->start(
        [weak](std::vector<std::byte> m) {
            auto self = weak.lock();
            if (!self) return;
            if (self->hooks_.size() == 0) {  // the empty chain delivers at once
                self->deliver(std::move(m));
                return;
            }
            self->hooks_.run(incoming(self->side_), std::move(m),
                             [weak](std::vector<std::byte> in) {
                                 if (auto s = weak.lock()) s->deliver(std::move(in));
                             });
        },
        [weak, weak_conn] {
            auto self = weak.lock();
            if (self && self->conn_ == weak_conn.lock()) self->conn_.reset();
        });
}

void SeqpacketEnd::detach() {
    if (conn_) conn_->close();
    conn_.reset();
}

int SeqpacketEnd::send(std::vector<std::byte> message) {
    if (!connected()) return -ESRCH;
    if (hooks_.size() == 0) {  // the empty chain forwards at once
        conn_->send(std::move(message));
        return 0;
    }
    std::weak_ptr<SeqpacketConnection> weak = conn_;
    hooks_.run(outgoing(side_), std::move(message), [weak](std::vector<std::byte> out) {
        if (auto c = weak.lock()) c->send(std::move(out));
    });
    return 0;
}

void SeqpacketEnd::deliver(std::vector<std::byte> message) {
    if (!receiver_) return;
    const auto receiver = receiver_;  // it may replace itself while running
    (*receiver)(std::move(message));
}

}  // namespace dmemu::transfer
