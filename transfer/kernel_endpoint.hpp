// SPDX-License-Identifier: GPL-2.0-only
// The kernel side of the userspace dirty-log transport: dm_consult_userspace and
// cn_ulog_callback of drivers/md/dm-log-userspace-transfer.c, over a Carrier, on one io_context,
// timed by the injected Clock (so the 15 s timeout is virtual in scenarios).
//
// consult(uuid, luid, type, data, reply_capacity) behaves as the kernel function:
//  * data longer than 332 bytes (DM_ULOG_PREALLOCED_SIZE minus both headers):
//    DMINFO "Size of tfr exceeds preallocated size", -EINVAL, nothing sent.
//  * every send and resend takes a fresh seq from one counter per endpoint (the kernel's global
//    dm_ulog_seq), starting at 0 and wrapping; the request is zero-filled, version 3,
//    cn_msg.seq = dm_ulog_request.seq.
//  * send failure: DMERR "Unable to send log request [%u] to userspace: %d" and that error
//    (-ESRCH when no log server listens), at once.
//  * no reply within 15 s: DMWARN "[%s] Request timed out: [%u/%u] - retrying" (last 8 chars
//    of the uuid, type, the seq that timed out) and resend, forever while the server is silent.
//  * reply error -EAGAIN (full reply or bare ack): resend at once.
//  * replies are matched by dm_ulog_request.seq, bare acks (cn_msg.len 0) by cn_msg.seq; a reply
//    for no waiter (late, after a timeout) is dropped silently; uuid, luid and type of a reply
//    are not checked. Reply data longer than reply_capacity: DMERR "Insufficient space to
//    receive package [%u] (%u vs %zu)" and -ENOSPC. 0 < cn_msg.len < 160: DMERR "Incomplete
//    message received (expected 160, got %u): [%u]" and the message is dropped.
//  * the result is the reply's error and data as fill_pkg leaves them: data is filled even when
//    error != 0 (userspace_get_resync_work reads it regardless); a bare ack carries none.
// Kernel lines go to the KernelLog with prefix "dm-log-userspace".
//
// Serialisation: with one_in_flight (the default) consults run one at a time in call order, a
// stricter reading of dm_ulog_lock; the kernel holds that lock only around the send, so
// different kernel threads can wait for replies at once: one_in_flight = false does that.
//
// The -ESRCH reconnect loop (dm-log-userspace-base.c: userspace_do_request) belongs to the
// userspace dirty log above this; consult only reports -ESRCH promptly.
//
// Lifetime: the Carrier and the Clock must outlive the endpoint (it unhooks its receiver from the
// carrier on destruction). Consults still pending at destruction finish with -ESHUTDOWN when the
// loop next runs them; their frames never touch the endpoint, carrier or log again.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "transfer/carriers/carrier.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {

inline constexpr std::string_view kUlogMsgPrefix = "dm-log-userspace";  // DM_MSG_PREFIX

struct ConsultResult {
    int error = 0;                // 0 or -errno, as dm_consult_userspace returns
    std::vector<std::byte> data;  // reply data (see the head comment for when it is filled)
};

struct KernelEndpointOptions {
    // DM_ULOG_RETRY_TIMEOUT.
    emu::Duration retry_timeout = std::chrono::seconds(15);
    // true: consults are serialised whole (dmemu's default); false: only sends are, as in the
    // kernel.
    bool one_in_flight = true;
    // The first seq sent (the kernel starts at 0); tests set it near 2^32 to exercise the wrap.
    std::uint32_t first_seq = 0;
    // true: a reply resumes its consult inside the carrier's delivery, not in a step posted
    // after it. Over a socket that saves the loop an epoll_wait per round trip (the posted step
    // queues behind Asio's reactor task). The daemon sets it; scenarios keep false, so their
    // event order, and so every recorded seed's replay, stays as it is.
    bool resume_in_delivery = false;
};

class KernelEndpoint {
public:
    KernelEndpoint(emu::Clock& clock, emu::KernelLog& log, Carrier& carrier,
                   KernelEndpointOptions options = {});
    ~KernelEndpoint();
    KernelEndpoint(const KernelEndpoint&) = delete;
    KernelEndpoint& operator=(const KernelEndpoint&) = delete;

    // Arguments are copied before the first suspension: temporaries may be passed.
    boost::asio::awaitable<ConsultResult> consult(std::string_view uuid, std::uint64_t luid,
                                                  UlogRequestType type,
                                                  std::span<const std::byte> data,
                                                  std::size_t reply_capacity);

    // The seq the next send will take.
    std::uint32_t next_seq() const;
    // Sends waiting for a reply right now (registered waiters, the kernel's receiving_list).
    std::size_t waiting() const;

private:
    struct State;
    struct Arguments;
    static boost::asio::awaitable<ConsultResult> run(std::shared_ptr<State> state, Arguments args);
    static void on_message(State& state, std::vector<std::byte> bytes);

    std::shared_ptr<State> state_;
    Carrier& carrier_;
};

}  // namespace dmemu::transfer
