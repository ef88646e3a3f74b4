// SPDX-License-Identifier: GPL-2.0-only
// Binds and listens a SOCK_SEQPACKET acceptor at `path`, replacing a stale socket file there
// (socket_path.hpp): what every listening carrier does first. Throws std::system_error.
#pragma once

#include <string>

#include "transfer/carriers/seq_packet_protocol.hpp"
#include "transfer/carriers/socket_path.hpp"

namespace dmemu::transfer {

inline void listen_at(SeqPacketProtocol::acceptor& acceptor, const std::string& path) {
    remove_stale_socket(path);
    const SeqPacketProtocol::endpoint endpoint(path);
    acceptor.open(endpoint.protocol());
    acceptor.bind(endpoint);
    acceptor.listen();
}

}  // namespace dmemu::transfer
