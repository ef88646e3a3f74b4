// SPDX-License-Identifier: GPL-2.0-only
// An IoctlChannel straight into a DeviceMapper on the caller's io_context: no serialisation,
// the retry delay taken from the device mapper's Clock (virtual in tests).
#pragma once

#include "tools/dmsetup/ioctl_channel.hpp"

namespace dmemu::emu {
class DeviceMapper;
}

namespace dmemu::dmsetup {

class InProcessChannel final : public IoctlChannel {
public:
    explicit InProcessChannel(emu::DeviceMapper& dm) : dm_(dm) {}
    boost::asio::awaitable<emu::DmReply> call(emu::DmRequest req) override;
    boost::asio::awaitable<void> retry_delay(std::chrono::milliseconds delay) override;

private:
    emu::DeviceMapper& dm_;
};

}  // namespace dmemu::dmsetup
