// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/in_process_channel.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "emu/core/device_mapper.hpp"
#include "emu/util/clock.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;

asio::awaitable<void> IoctlChannel::retry_delay(std::chrono::milliseconds) { co_return; }

asio::awaitable<emu::DmReply> InProcessChannel::call(emu::DmRequest req) {
    // A system call boundary: kernel work woken by the previous ioctl (a mirror's kmirrord)
    // gets to run before the next one starts, as it does while dmsetup is in userspace.
    co_await asio::post(dm_.context(), asio::use_awaitable);
    co_return co_await dm_.ioctl(std::move(req));
}

asio::awaitable<void> InProcessChannel::retry_delay(std::chrono::milliseconds delay) {
    emu::Sleep sleep(dm_.clock());
    co_await sleep.for_(delay);
}

}  // namespace dmemu::dmsetup
