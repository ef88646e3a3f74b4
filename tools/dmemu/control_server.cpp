// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/control_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "emu/core/device_mapper.hpp"
#include "emu/core/dm_ioctl_json.hpp"

namespace dmemu::daemon {

namespace asio = boost::asio;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxLine = 16 * 1024 * 1024;

std::string error_line(int err, std::string detail) {
    emu::DmReply r;
    r.error = err;
    r.detail = std::move(detail);
    return emu::to_json(r).dump();
}

}  // namespace

ControlServer::ControlServer(asio::io_context& ctx, emu::DeviceMapper& dm, std::string socket_path,
                             std::function<void()> on_shutdown_request)
    : dm_(dm),
      on_shutdown_request_(std::move(on_shutdown_request)),
      listener_(ctx, std::move(socket_path), "control") {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::start() {
    listener_.start([this](std::shared_ptr<Socket> sock) { return serve(std::move(sock)); });
}

void ControlServer::stop() { listener_.stop(); }

asio::awaitable<void> ControlServer::serve(std::shared_ptr<Socket> sock) {
    std::string buf;
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n =
            co_await asio::async_read_until(*sock, asio::dynamic_buffer(buf, kMaxLine), '\n',
                                            asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::not_found) {
            const std::string reply =
                error_line(-EINVAL, "control: request line longer than 16777216 bytes") + "\n";
            co_await asio::async_write(*sock, asio::buffer(reply),
                                       asio::redirect_error(asio::use_awaitable, ec));
            break;
        }
        if (ec) break;  // client gone (EOF mid-line included) or server stopping
        std::string line = buf.substr(0, n - 1);
        buf.erase(0, n);
        std::string reply = co_await handle_line(std::move(line));
        reply += '\n';
        co_await asio::async_write(*sock, asio::buffer(reply),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) spdlog::debug("control: client left before its reply: {}", ec.message());
        if (shutdown_requested_) {
            shutdown_requested_ = false;
            on_shutdown_request_();
        }
        if (ec) break;
    }
    listener_.hang_up(sock);
}

asio::awaitable<std::string> ControlServer::handle_line(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    json j;
    try {
        j = json::parse(line);
    } catch (const json::exception& e) {
        co_return error_line(-EINVAL, std::string("control: request is not JSON: ") + e.what());
    }
    if (j.is_object() && j.contains("cmd") && j["cmd"] == "shutdown") {
        spdlog::info("control: shutdown requested");
        shutdown_requested_ = true;  // acted on once the reply is out
        co_return emu::to_json(emu::DmReply{}).dump();
    }
    emu::DmRequest req;
    try {
        if (!j.is_object()) throw std::invalid_argument("control: request is not a JSON object");
        req = emu::request_from_json(j);
    } catch (const std::exception& e) {
        co_return error_line(-EINVAL, std::string("control: malformed request: ") + e.what());
    }
    try {
        const emu::DmReply reply = co_await dm_.ioctl(std::move(req));
        co_return emu::to_json(reply).dump();
    } catch (const std::exception& e) {
        spdlog::error("control: {} failed: {}", emu::to_string(req.cmd), e.what());
        co_return error_line(-EIO, std::string("control: internal error: ") + e.what());
    }
}

}  // namespace dmemu::daemon
