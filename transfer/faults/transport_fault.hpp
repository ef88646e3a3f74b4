// SPDX-License-Identifier: GPL-2.0-only
// One installed transport fault: a MessageHook on the ulog connector (transfer/carriers/
// message_hook.hpp) that acts on the messages its filter selects and forwards every other one
// unchanged. What a kind does is how it calls `forward`: never (drop), twice (duplicate), later
// on the Clock (delay), after the next message (reorder), with other bytes (corrupt). `cut` acts
// one stage lower, in the carrier (cuttable_carrier.hpp): it only says that it cuts.
//
// Every kind is built from a TransportFaultSetup: the Clock, its own Rng stream (every decision
// draws from it, in message order, so the same seed and the same traffic give the same
// firings), the filter (direction and request types), an optional limit on firings, and the
// sink that turns each firing into a TransportFaultEvent for the trace.
//
// Single-threaded: hooks run on the carrier's io_context, like everything under transfer/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/rng.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::transfer {

using TransportFaultId = std::uint64_t;

// "to-server" (requests, Direction::to_userspace) or "to-kernel" (replies and bare acks).
std::string_view fault_direction_name(Direction direction);

// What a message says about itself. Read without validation: the fields are filled when the
// bytes hold them, whatever else is wrong with the message.
struct MessageInfo {
    Direction direction = Direction::to_userspace;
    std::size_t size = 0;   // bytes on the wire, cn_msg included
    bool bare_ack = false;  // cn_msg.len == 0
    // dm_ulog_request.seq; for a bare ack, cn_msg.seq (what the kernel matches each by).
    std::optional<std::uint32_t> seq;
    // The header's request_type; for a bare ack, the type of the request with that seq when
    // the caller knows it (TransportFaults remembers recent requests).
    std::optional<UlogRequestType> type;
};

MessageInfo describe_message(Direction direction, std::span<const std::byte> message);

// Which messages a fault acts on. A type list never matches a message of unknown type.
struct MessageFilter {
    bool to_server = true;
    bool to_kernel = true;
    std::vector<UlogRequestType> types;  // empty: every type

    bool matches(const MessageInfo& message) const;
};

// One firing, for a scenario trace.
struct TransportFaultEvent {
    emu::TimePoint time;
    std::string link;  // the TransportFaults' name ("ulog")
    TransportFaultId fault = 0;
    std::string kind;                    // "drop", "delay", ...
    std::optional<Direction> direction;  // absent for events of the fault itself (expiry)
    std::optional<std::uint32_t> seq;
    std::optional<UlogRequestType> type;
    std::string what;  // "dropped", "delayed 12ms", "bit 3 of byte 168 flipped (seq)", ...
};

using TransportFaultObserver = std::function<void(const TransportFaultEvent&)>;

// "t=15.000000000 link=ulog fault=1 kind=drop dir=to-server seq=3 type=FLUSH dropped"
// (dir, seq and type only when known).
std::string to_string(const TransportFaultEvent& event);

// "20ms", "1500us", "7ns": the largest unit that divides the duration.
std::string format_fault_duration(emu::Duration d);

struct TransportFaultSetup {
    emu::Clock* clock = nullptr;  // never null for kinds that wait (delay, reorder)
    emu::Rng rng;                 // the fault's own stream
    MessageFilter filter{};
    std::optional<std::uint64_t> times{};  // act at most this many times (times=N)
    // Describes a message; empty: describe_message.
    std::function<MessageInfo(Direction, std::span<const std::byte>)> describe{};
    // Receives each firing (counted) and each later note about it (a held message released);
    // empty: nobody listens.
    std::function<void(const MessageInfo&, std::string what)> report{};
};

class TransportFault : public MessageHook, public std::enable_shared_from_this<TransportFault> {
public:
    explicit TransportFault(TransportFaultSetup setup);

    // Describes the message, then act() if the filter selects it and the limit allows,
    // else pass().
    void on_message(Direction direction, std::vector<std::byte> message, Forward forward) final;

    // Times the fault acted on a message (or, for cut, refused one).
    std::uint64_t fired() const { return fired_; }
    // The carrier stage: while an installed fault cuts, its CuttableCarrier is cut.
    virtual bool cuts() const { return false; }
    // The CuttableCarrier refused this message (a send, or a delivery to its side) while this
    // fault cut.
    virtual void refused(const MessageInfo&) {}
    // At removal: hand on anything held, now (reorder).
    virtual void release() {}

protected:
    virtual void act(const MessageInfo& info, std::vector<std::byte> message, Forward forward);
    virtual void pass(const MessageInfo& info, std::vector<std::byte> message, Forward forward);

    // A firing: counted, and reported with what happened.
    void fire(const MessageInfo& info, std::string what);
    // A later word about an earlier firing: reported, not counted.
    void note(const MessageInfo& info, std::string what);

    emu::Clock& clock() const { return *setup_.clock; }
    emu::Rng& rng() { return setup_.rng; }

private:
    TransportFaultSetup setup_;
    std::uint64_t fired_ = 0;
};

}  // namespace dmemu::transfer
