// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/ioctl_server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "emu/core/device_mapper.hpp"
#include "emu/ioctl/dm_ioctl_codec.hpp"
#include "emu/ioctl/ioctl_wire.h"
#include "emu/util/kernel_log.hpp"

namespace dmemu::daemon {

namespace asio = boost::asio;

IoctlServer::IoctlServer(asio::io_context& ctx, emu::DeviceMapper& dm, std::string socket_path)
    : dm_(dm), listener_(ctx, std::move(socket_path), "ioctl") {}

IoctlServer::~IoctlServer() { stop(); }

void IoctlServer::start() {
    listener_.start([this](std::shared_ptr<Socket> sock) { return serve(std::move(sock)); });
}

void IoctlServer::stop() { listener_.stop(); }

asio::awaitable<void> IoctlServer::serve(std::shared_ptr<Socket> sock) {
    auto redirect = [](boost::system::error_code& ec) {
        return asio::redirect_error(asio::use_awaitable, ec);
    };
    for (;;) {
        boost::system::error_code ec;
        dmemu_wire_request head{};
        co_await asio::async_read(*sock, asio::buffer(&head, sizeof head), redirect(ec));
        if (ec) break;  // the program closed its control fd (or died)
        if (head.magic != DMEMU_WIRE_REQUEST_MAGIC || head.length > DMEMU_WIRE_MAX_BODY) {
            spdlog::warn("ioctl: garbage on {} (magic {:#x}, length {}): hanging up",
                         listener_.path(), head.magic, head.length);
            break;
        }
        // Uninitialised on purpose: a 1 GiB table is allowed and should not be zeroed first.
        std::unique_ptr<std::uint8_t[]> body(new std::uint8_t[head.length]);
        co_await asio::async_read(*sock, asio::buffer(body.get(), head.length), redirect(ec));
        if (ec) break;

        emu::DecodedIoctl decoded = emu::decode_dm_ioctl(
            head.command, std::span<const std::uint8_t>(body.get(), head.length));
        body.reset();
        emu::DmReply reply;
        if (decoded.error != 0) {
            if (!decoded.kernel_error.empty())
                dm_.kernel_log().err("ioctl", "{}", decoded.kernel_error);
        } else if (!decoded.version_only) {
            try {
                reply = co_await dm_.ioctl(decoded.request);
            } catch (const std::exception& e) {
                spdlog::error("ioctl: {} failed: {}", emu::to_string(decoded.request.cmd),
                              e.what());
                reply.error = -EIO;
            }
        }
        const emu::IoctlAnswer answer = emu::encode_dm_ioctl_answer(decoded, reply);
        dmemu_wire_reply out{DMEMU_WIRE_REPLY_MAGIC, answer.result,
                             static_cast<std::uint32_t>(answer.out.size()), 0};
        const std::array<asio::const_buffer, 2> bufs{asio::buffer(&out, sizeof out),
                                                     asio::buffer(answer.out)};
        co_await asio::async_write(*sock, bufs, redirect(ec));
        if (ec) {
            spdlog::debug("ioctl: client left before its answer: {}", ec.message());
            break;
        }
    }
    listener_.hang_up(sock);
}

}  // namespace dmemu::daemon
