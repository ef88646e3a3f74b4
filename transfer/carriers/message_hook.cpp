// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/message_hook.hpp"

namespace dmemu::transfer {

namespace {

using List = std::vector<std::shared_ptr<MessageHook>>;

void step(std::shared_ptr<const List> hooks, std::size_t index, Direction direction,
          std::vector<std::byte> message, std::shared_ptr<const MessageHook::Forward> deliver) {
    if (!hooks || index == hooks->size()) {
        (*deliver)(std::move(message));
        return;
    }
    MessageHook& hook = *(*hooks)[index];
    hook.on_message(direction, std::move(message),
                    [hooks, index, direction, deliver](std::vector<std::byte> m) {
                        step(hooks, index + 1, direction, std::move(m), deliver);
                    });
}

}  // namespace

void HookChain::append(std::shared_ptr<MessageHook> hook) {
    auto next = hooks_ ? std::make_shared<List>(*hooks_) : std::make_shared<List>();
    next->push_back(std::move(hook));
    hooks_ = std::move(next);
}

void HookChain::clear() { hooks_.reset(); }

void HookChain::run(Direction direction, std::vector<std::byte> message,
                    MessageHook::Forward deliver) const {
    step(hooks_, 0, direction, std::move(message),
         std::make_shared<const MessageHook::Forward>(std::move(deliver)));
}

}  // namespace dmemu::transfer
