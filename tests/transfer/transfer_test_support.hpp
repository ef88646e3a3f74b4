// SPDX-License-Identifier: GPL-2.0-only
// Shared by the transfer tests: byte helpers, test hooks (drop, duplicate), a way to run a
// consult coroutine and collect its result, and a fixture with a socket path in a temp dir.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "emu/util/kernel_log.hpp"
#include "transfer/carriers/message_hook.hpp"
#include "transfer/kernel_endpoint.hpp"

namespace dmemu::transfer::test {

using Bytes = std::vector<std::byte>;

inline Bytes bytes_of(std::initializer_list<unsigned> values) {
    Bytes out;
    for (unsigned v : values) out.push_back(static_cast<std::byte>(v));
    return out;
}

inline Bytes bytes_of(std::string_view text) {
    const auto b = as_bytes(text);
    return Bytes(b.begin(), b.end());
}

template <typename T>
void append_le(Bytes& out, T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
        out.push_back(
            static_cast<std::byte>((static_cast<std::uint64_t>(value) >> (8 * i)) & 0xFF));
}

// Every kernel line emitted, full text.
inline std::vector<std::string> kernel_lines(const emu::KernelLog& log) {
    std::vector<std::string> out;
    for (const auto& line : log.since(0)) out.push_back(line.text);
    return out;
}

// Drops the first `count` messages going `direction` (all of them with count < 0).
class DropHook final : public MessageHook {
public:
    DropHook(Direction direction, int count) : direction_(direction), remaining_(count) {}
    void on_message(Direction d, Bytes message, Forward forward) override {
        if (d == direction_ && remaining_ != 0) {
            if (remaining_ > 0) --remaining_;
            ++dropped_;
            return;
        }
        forward(std::move(message));
    }
    int dropped() const { return dropped_; }

private:
    Direction direction_;
    int remaining_;
    int dropped_ = 0;
};

// Delivers every message going `direction` twice.
class DuplicateHook final : public MessageHook {
public:
    explicit DuplicateHook(Direction direction) : direction_(direction) {}
    void on_message(Direction d, Bytes message, Forward forward) override {
        if (d == direction_) {
            ++duplicated_;
            forward(message);
        }
        forward(std::move(message));
    }
    int duplicated() const { return duplicated_; }

private:
    Direction direction_;
    int duplicated_ = 0;
};

// Starts a consult on the loop; the returned slot fills in when it completes.
inline std::shared_ptr<std::optional<ConsultResult>> spawn_consult(
    boost::asio::io_context& ctx, KernelEndpoint& endpoint, std::string uuid, std::uint64_t luid,
    UlogRequestType type, Bytes data, std::size_t reply_capacity) {
    auto slot = std::make_shared<std::optional<ConsultResult>>();
    boost::asio::co_spawn(ctx, endpoint.consult(uuid, luid, type, data, reply_capacity),
                          [slot](std::exception_ptr e, ConsultResult r) {
                              if (e) std::rethrow_exception(e);
                              *slot = std::move(r);
                          });
    return slot;
}

// A test with a socket path in a fresh temp dir (removed after) and an io_context to run until a
// condition holds (5 s cap, never sleeping longer than one poll step).
class SocketDirTest : public ::testing::Test {
protected:
    SocketDirTest() {
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "dmemu-transfer-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        dir = tmpl;
        path = (dir / "ulog.sock").string();
    }
    ~SocketDirTest() override {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    bool run_until(const std::function<bool()>& done) {
        using namespace std::chrono_literals;
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        ctx.restart();
        while (!done() && std::chrono::steady_clock::now() < deadline) ctx.run_one_for(10ms);
        return done();
    }

    boost::asio::io_context ctx{1};
    std::filesystem::path dir;
    std::string path;
};

}  // namespace dmemu::transfer::test
