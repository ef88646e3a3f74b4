// SPDX-License-Identifier: GPL-2.0-only
// The hook point for transport faults: every message a carrier moves passes through a chain of
// MessageHooks before delivery. A hook calls `forward` to pass the message on (the next hook,
// then the transport); it may instead drop it (never call forward), duplicate it (call forward
// twice), delay it (keep forward and call it later from the clock), reorder (hold one and forward
// it after the next) or corrupt it (forward other bytes). The empty chain forwards unchanged.
//
// Lifetime: forward may be kept and called after the chain, the carrier, or the peer is gone;
// carriers make such late calls harmless (the message is dropped, like a netlink message whose
// socket closed). Hooks run on the carrier's io_context.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "transfer/carriers/carrier.hpp"

namespace dmemu::transfer {

class MessageHook {
public:
    using Forward = std::function<void(std::vector<std::byte>)>;

    virtual ~MessageHook() = default;
    virtual void on_message(Direction direction, std::vector<std::byte> message,
                            Forward forward) = 0;
};

class HookChain {
public:
    // Hooks run in the order appended: the first appended sees the message first.
    void append(std::shared_ptr<MessageHook> hook);
    void clear();
    std::size_t size() const { return hooks_ ? hooks_->size() : 0; }

    // Passes message through every hook, then to deliver (zero, one or many times).
    void run(Direction direction, std::vector<std::byte> message,
             MessageHook::Forward deliver) const;

private:
    using List = std::vector<std::shared_ptr<MessageHook>>;
    // Copied on write: a message in flight keeps the chain it started on.
    std::shared_ptr<const List> hooks_;
};

}  // namespace dmemu::transfer
