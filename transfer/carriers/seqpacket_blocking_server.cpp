// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/seqpacket_blocking_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

#include "transfer/carriers/seqpacket_connection.hpp"
#include "transfer/carriers/socket_path.hpp"

namespace dmemu::transfer {

namespace {

// What the signal handlers may touch: lock-free atomics only.
std::atomic<int> g_listen_fd{-1};
std::atomic<int> g_peer_fd{-1};
std::atomic<bool> g_stop{false};
std::atomic<bool> g_instance{false};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

// SIGIO from the listening socket: a peer is connecting. Close the current one (it sees EOF)
// so serve() goes back to accept. The poll (async-signal-safe) makes sure a connection is really
// pending: a late SIGIO for the connection just accepted must not shut that one down.
void on_sigio(int) {
    const int saved_errno = errno;
    const int listen_fd = g_listen_fd.load();
    const int peer = g_peer_fd.load();
    if (listen_fd >= 0 && peer >= 0) {
        pollfd p{listen_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) ::shutdown(peer, SHUT_RDWR);
    }
    errno = saved_errno;
}

std::system_error errno_error(const std::string& what) {
    return std::system_error(errno, std::generic_category(), what);
}

}  // namespace

SeqpacketBlockingServer::SeqpacketBlockingServer(std::string path) : path_(std::move(path)) {
    if (g_instance.exchange(true))
        throw std::logic_error("seqpacket: one SeqpacketBlockingServer per process");
    try {
        remove_stale_socket(path_);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (path_.size() >= sizeof(addr.sun_path))
            throw std::system_error(std::make_error_code(std::errc::filename_too_long),
                                    "seqpacket: '" + path_ + "'");
        std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
        const int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) throw errno_error("seqpacket: socket");
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0 ||
            ::listen(fd, SOMAXCONN) != 0) {
            const auto e = errno_error("seqpacket: '" + path_ + "'");
            ::close(fd);
            throw e;
        }
        g_listen_fd.store(fd);
        g_stop.store(false);
        // Connection attempts raise SIGIO (handler first: SIGIO's default action kills). Only
        // the serving thread takes it (serve() unblocks it there; threads started from here on
        // inherit the block): the handler then never races the close of the peer it shuts down.
        sigset_t sigio;
        sigemptyset(&sigio);
        sigaddset(&sigio, SIGIO);
        ::pthread_sigmask(SIG_BLOCK, &sigio, nullptr);
        struct sigaction sa {};
        sa.sa_handler = on_sigio;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(SIGIO, &sa, nullptr);
        if (::fcntl(fd, F_SETOWN, ::getpid()) != 0 ||
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_ASYNC) != 0)
            spdlog::warn("seqpacket: no SIGIO on '{}' ({}): a new peer waits for the current one",
                         path_, std::strerror(errno));
    } catch (...) {
        g_instance.store(false);
        throw;
    }
}

SeqpacketBlockingServer::~SeqpacketBlockingServer() {
    const int fd = g_listen_fd.exchange(-1);
    if (fd >= 0) ::close(fd);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    g_instance.store(false);
}

void SeqpacketBlockingServer::request_stop() {
    g_stop.store(true);
    // Shut down, not close: the descriptors stay valid for whoever is blocked on them, and a
    // shut-down socket answers every later accept/recvmsg at once.
    if (const int fd = g_listen_fd.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
    if (const int fd = g_peer_fd.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
}

void SeqpacketBlockingServer::serve() {
    sigset_t sigio;
    sigemptyset(&sigio);
    sigaddset(&sigio, SIGIO);
    ::pthread_sigmask(SIG_UNBLOCK, &sigio, nullptr);
    const int listen_fd = g_listen_fd.load();
    while (!g_stop.load()) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || g_stop.load()) continue;
            if (errno == ECONNABORTED) continue;
            throw errno_error("seqpacket: accept on '" + path_ + "'");
        }
        g_peer_fd.store(fd);
        if (g_stop.load()) ::shutdown(fd, SHUT_RDWR);  // a stop between the check and the store
        serve_peer(fd);
        g_peer_fd.store(-1);
        ::close(fd);
    }
}

void SeqpacketBlockingServer::serve_peer(int fd) {
    packet_.resize(SeqpacketConnection::kMaxPacket);  // zero-filled once, not per message
    for (;;) {
        iovec iov{packet_.data(), packet_.size()};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        const ssize_t n = ::recvmsg(fd, &msg, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            spdlog::warn("seqpacket: receive failed: {}", std::strerror(errno));
            return;
        }
        if (n == 0) {  // the peer's orderly shutdown, a replacing peer (on_sigio), or a stop
            if (g_stop.load()) return;
            pollfd p{g_listen_fd.load(), POLLIN, 0};
            if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0)
                spdlog::info("seqpacket: new peer on '{}' replaces the old one", path_);
            else
                spdlog::info("seqpacket: peer closed the connection");
            return;
        }
        if ((msg.msg_flags & MSG_TRUNC) != 0) {
            spdlog::warn("seqpacket: dropped a packet longer than {} bytes", packet_.size());
            continue;
        }
        const std::span<const std::byte> received(packet_.data(), static_cast<std::size_t>(n));
        if (inspector_) inspector_(received);
        message_.assign(received.begin(), received.end());
        if (receiver_) receiver_(std::move(message_));
    }
}

int SeqpacketBlockingServer::send(std::vector<std::byte> message) {
    const int fd = g_peer_fd.load();
    if (fd < 0) return -ESRCH;
    ssize_t n;
    do {
        n = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    // A failed send is the peer going away: the next recvmsg sees it and ends the connection.
    const int rc = n < 0 ? -errno : 0;
    if (message_.capacity() == 0) message_ = std::move(message);
    return rc;
}

}  // namespace dmemu::transfer
