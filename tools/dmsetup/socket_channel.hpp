// SPDX-License-Identifier: GPL-2.0-only
// An IoctlChannel over the daemon's control socket, DIR/control.sock: a Unix stream socket
// carrying one JSON request per line and one JSON reply per line (dm_ioctl_json.hpp).
//
// The client is synchronous (the CLI has nothing else to do while it waits) and connects on the
// first call, so `dmemu-setup --help` works without a daemon.
#pragma once

#include <string>

#include "tools/dmsetup/ioctl_channel.hpp"

namespace dmemu::dmsetup {

class SocketChannel final : public IoctlChannel {
public:
    // `program` prefixes the connection error ("dmemu-setup: cannot connect to ...").
    SocketChannel(std::string daemon_dir, std::string program);
    ~SocketChannel() override;
    SocketChannel(const SocketChannel&) = delete;
    SocketChannel& operator=(const SocketChannel&) = delete;

    boost::asio::awaitable<emu::DmReply> call(emu::DmRequest req) override;
    boost::asio::awaitable<void> retry_delay(std::chrono::milliseconds delay) override;

    // One raw line out (a newline is appended), one line back without its newline. Throws
    // ChannelError when the daemon is unreachable or hangs up.
    std::string exchange_line(const std::string& line);
    const std::string& socket_path() const { return path_; }

private:
    void connect();
    void write_all(const std::string& data);
    std::string read_line();

    std::string dir_;
    std::string program_;
    std::string path_;
    int fd_ = -1;
    std::string pending_;  // bytes read past the last newline
};

}  // namespace dmemu::dmsetup
