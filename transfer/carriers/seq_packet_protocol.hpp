// SPDX-License-Identifier: GPL-2.0-only
// AF_UNIX SOCK_SEQPACKET as an Asio Protocol. Boost 1.74 has no
// boost::asio::local::seq_packet_protocol (it arrived in later releases with this same shape),
// so we declare it; switch to Asio's when the floor moves.
#pragma once

#include <sys/socket.h>

#include <boost/asio/basic_seq_packet_socket.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/local/basic_endpoint.hpp>

namespace dmemu::transfer {

class SeqPacketProtocol {
public:
    int type() const noexcept { return SOCK_SEQPACKET; }
    int protocol() const noexcept { return 0; }
    int family() const noexcept { return AF_UNIX; }

    using endpoint = boost::asio::local::basic_endpoint<SeqPacketProtocol>;
    using socket = boost::asio::basic_seq_packet_socket<SeqPacketProtocol>;
    using acceptor = boost::asio::basic_socket_acceptor<SeqPacketProtocol>;
};

}  // namespace dmemu::transfer
