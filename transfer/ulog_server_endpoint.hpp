// SPDX-License-Identifier: GPL-2.0-only
// The log server's side of the transport, over a Carrier: decodes each request strictly and
// hands it to a handler; sends replies the way cmirrord does (daemons/cmirrord/local.c):
//  * reply(): kernel_send_helper, the request header echoed with error and data_size set,
//    cn_msg.seq 0, ack 0 (the kernel matches on dm_ulog_request.seq);
//  * ack(): kernel_ack, a bare cn_msg with len 0, seq = the request's seq, ack = positive errno
//    (cmirrord acks CLEAR_REGION at once, and NACKs a request of type 0 with EAGAIN).
// Malformed messages and bare acks (the kernel sends none) are logged through spdlog once and
// dropped; dropped() counts them.
//
// The carrier must outlive the endpoint (it unhooks its receiver on destruction).
//
// A log server (logs/) is written on top: it owns one of these and answers every request,
// typically with decode_request_payload / encode_payload from ulog_payloads.hpp.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "transfer/carriers/carrier.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {

class UlogServerEndpoint {
public:
    // Called on the carrier's io_context with each well-formed request (never a bare ack).
    using Handler = std::function<void(const UlogMessage& request)>;

    UlogServerEndpoint(Carrier& carrier, Handler handler);
    ~UlogServerEndpoint();
    UlogServerEndpoint(const UlogServerEndpoint&) = delete;
    UlogServerEndpoint& operator=(const UlogServerEndpoint&) = delete;

    // 0 or the carrier's -errno; -EINVAL if request is a bare ack, -EMSGSIZE if data cannot fit
    // a connector message.
    int reply(const UlogMessage& request, std::int32_t error, std::span<const std::byte> data = {});
    int ack(std::uint32_t seq, std::uint32_t positive_errno);

    std::uint64_t dropped() const { return dropped_; }

private:
    void on_message(std::vector<std::byte> bytes);

    Carrier& carrier_;
    Handler handler_;
    std::uint64_t dropped_ = 0;
};

}  // namespace dmemu::transfer
