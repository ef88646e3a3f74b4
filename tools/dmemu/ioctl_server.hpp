// SPDX-License-Identifier: GPL-2.0-only
// The daemon's binary dm_ioctl endpoint, DIR/ioctl.sock (Unix stream, mode 0600): what
// /dev/mapper/control is to a program run by `dmemu exec` (its preload library connects once per
// open of the control node). Framing in emu/ioctl/ioctl_wire.h; each request's struct dm_ioctl
// is decoded, run by the same DeviceMapper operations the JSON control socket runs, and answered
// as drivers/md/dm-ioctl.c answers (emu/ioctl/dm_ioctl_codec.hpp). The kernel's DMERR lines for
// buffers it refuses go to the kernel log (`dmemu-setup dmesg`).
//
// A frame that is not ours (bad magic, a length over the kernel's limit) is garbage: logged and
// hung up on, as nothing a real ioctl could send. A client may vanish mid-ioctl: the operation
// still completes, as a kernel ioctl would, and the answer is dropped.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "tools/dmemu/unix_listener.hpp"

namespace dmemu::emu {
class DeviceMapper;
}

namespace dmemu::daemon {

class IoctlServer {
public:
    IoctlServer(boost::asio::io_context& ctx, emu::DeviceMapper& dm, std::string socket_path);
    ~IoctlServer();

    // Binds and listens (mode 0600), replacing a stale socket file. Throws std::system_error.
    void start();
    // Stops accepting, hangs up on every client, removes the socket file.
    void stop();

private:
    using Socket = UnixListener::Socket;
    boost::asio::awaitable<void> serve(std::shared_ptr<Socket> sock);

    emu::DeviceMapper& dm_;
    UnixListener listener_;
};

}  // namespace dmemu::daemon
