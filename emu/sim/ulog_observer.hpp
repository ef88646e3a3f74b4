// SPDX-License-Identifier: GPL-2.0-only
// Watches the userspace-log wire of a world: a MessageHook on the in-process link that records
// every request the kernel side sends and every reply or bare ack the server sends back, and
// forwards each message unchanged. Transport faults plug into the same HookChain later; this
// hook is appended first, so it sees what was sent, before any fault.
//
// Names, not numbers: a luid is a kernel address in real life and a process-wide counter in
// dmemu, so the trace and the expectations name log instances L1, L2, ... in order of first
// appearance in this run (as the oracle's .seq files do); NEW is the newest, OLD the one before.
// A reply records which of the server's log objects the request reached, and `reached` names the
// log whose CTR created that object: with uuid+luid a RESUME of L2 reaches L2, in the legacy
// modes it may reach L1.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <utility>

#include "emu/sim/trace.hpp"
#include "logs/userspace/log_server.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::scenario {

struct UlogExchange {
    std::size_t index = 0;  // 0, 1, ... in send order
    emu::TimePoint sent{};
    transfer::UlogRequestType type{};
    std::string uuid;
    int log = 0;  // the sender: L<log> (0 for luid 0)
    std::uint32_t seq = 0;
    std::string request;  // payload summary
    bool answered = false;
    bool bare_ack = false;
    std::int32_t error = 0;      // reply error, or -ack of a bare ack
    std::uint64_t instance = 0;  // the server's object it reached (0: none)
    std::uint32_t server = 1;    // server generation: 2 after the first restart, ...
    int reached = 0;             // L<n> whose CTR created that object (0: none)
    bool reached_known = true;   // false: a real server, which does not say
    std::string reply;           // payload summary
};

class UlogObserver final : public transfer::MessageHook {
public:
    // The server's engine, or nullptr when it is a real process whose objects cannot be seen.
    using EngineFn = std::function<logs::LogServer*()>;
    UlogObserver(Trace& trace, EngineFn engine) : trace_(trace), engine_(std::move(engine)) {}

    void on_message(transfer::Direction direction, std::vector<std::byte> message,
                    Forward forward) override;
    // Replies from now on come from a fresh engine (restart-log-server).
    void server_restarted() { ++server_; }
    void set_clock(const emu::Clock* clock) { clock_ = clock; }

    const std::deque<UlogExchange>& exchanges() const { return exchanges_; }
    int logs_seen() const { return static_cast<int>(names_.size()); }
    // n of the L<n> a luid was named on the wire; 0 for luid 0 or a luid never seen.
    int log_of(std::uint64_t luid) const {
        auto it = names_.find(luid);
        return it == names_.end() ? 0 : it->second;
    }
    // "L2"; "L0" for luid 0.
    static std::string log_name(int log);

private:
    void on_request(const transfer::UlogMessage& m);
    void on_reply(const transfer::UlogMessage& m);
    int name_of(std::uint64_t luid);

    Trace& trace_;
    EngineFn engine_;
    const emu::Clock* clock_ = nullptr;
    std::uint32_t server_ = 1;
    std::map<std::uint64_t, int> names_;                            // luid -> n of L<n>
    std::map<std::pair<std::uint32_t, std::uint64_t>, int> owner_;  // (server, object) -> L<n>
    std::deque<UlogExchange> exchanges_;
    std::map<std::uint32_t, std::size_t> waiting_;  // seq -> exchange index
};

// Payload summaries as the trace shows them ("region=3", "regions=[1,2]", "i=1 r=4", ...).
std::string summarize_request(transfer::UlogRequestType type, std::span<const std::byte> payload);
std::string summarize_reply(transfer::UlogRequestType type, std::span<const std::byte> payload);

}  // namespace dmemu::scenario
