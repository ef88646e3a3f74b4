// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/socket_channel.hpp"

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "emu/core/dm_ioctl_json.hpp"
#include "tools/dmsetup/errno_text.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;

SocketChannel::SocketChannel(std::string daemon_dir, std::string program)
    : dir_(std::move(daemon_dir)), program_(std::move(program)), path_(dir_ + "/control.sock") {}

SocketChannel::~SocketChannel() {
    if (fd_ >= 0) ::close(fd_);
}

void SocketChannel::connect() {
    if (fd_ >= 0) return;
    auto fail = [&](int err) {
        return ChannelError(
            fmt::format("{}: cannot connect to {}: {} (is `dmemu start {}` running?)", program_,
                        path_, errno_text(err), dir_));
    };
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) throw fail(ENAMETOOLONG);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw fail(errno);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        const int err = errno;
        ::close(fd);
        throw fail(err);
    }
    fd_ = fd;
}

void SocketChannel::write_all(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw ChannelError(fmt::format("{}: lost the connection to {}: {}", program_, path_,
                                           errno_text(errno)));
        done += static_cast<std::size_t>(n);
    }
}

std::string SocketChannel::read_line() {
    for (;;) {
        if (const auto nl = pending_.find('\n'); nl != std::string::npos) {
            std::string line = pending_.substr(0, nl);
            pending_.erase(0, nl + 1);
            return line;
        }
        char buf[65536];
        const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            throw ChannelError(fmt::format("{}: lost the connection to {}: {}", program_, path_,
                                           errno_text(errno)));
        if (n == 0)
            throw ChannelError(
                fmt::format("{}: the daemon at {} closed the connection", program_, path_));
        pending_.append(buf, static_cast<std::size_t>(n));
    }
}

std::string SocketChannel::exchange_line(const std::string& line) {
    connect();
    write_all(line + "\n");
    return read_line();
}

asio::awaitable<emu::DmReply> SocketChannel::call(emu::DmRequest req) {
    const std::string line = exchange_line(emu::to_json(req).dump());
    try {
        co_return emu::reply_from_json(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
        throw ChannelError(
            fmt::format("{}: malformed reply from {}: {}", program_, path_, e.what()));
    }
}

asio::awaitable<void> SocketChannel::retry_delay(std::chrono::milliseconds delay) {
    std::this_thread::sleep_for(delay);
    co_return;
}

}  // namespace dmemu::dmsetup
