// SPDX-License-Identifier: GPL-2.0-only
// The door between the dmsetup layer and a device mapper: one DmRequest in, one DmReply out,
// as libdm's dm_task_run() is one ioctl on /dev/mapper/control. Two doors exist: in-process
// (a DeviceMapper on the caller's io_context, for tests and scenarios) and the daemon's control
// socket (the dmemu-setup program).
//
// Contract: call() never fails for a kernel reason (those come back in DmReply::error); it
// throws ChannelError when the channel itself is gone (daemon not running, connection lost).
#pragma once

#include "emu/core/dm_ioctl.hpp"

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <stdexcept>
#include <string>

namespace dmemu::dmsetup {

class ChannelError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class IoctlChannel {
public:
    virtual ~IoctlChannel() = default;
    virtual boost::asio::awaitable<emu::DmReply> call(emu::DmRequest req) = 0;
    // The pause between two attempts of `remove --retry` (libdm's DM_RETRY_USLEEP_DELAY). The
    // default does not wait; channels with a clock wait on it.
    virtual boost::asio::awaitable<void> retry_delay(std::chrono::milliseconds delay);
};

}  // namespace dmemu::dmsetup
