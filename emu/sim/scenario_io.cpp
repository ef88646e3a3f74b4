// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/scenario_io.hpp"

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "emu/io/submit_wait.hpp"
#include "emu/util/async_mutex.hpp"

namespace dmemu::scenario {

namespace {

void trace_io(World& world, const IoRequest& io, const char* op, int err, std::uint32_t write_id,
              emu::TimePoint started) {
    auto& trace = world.trace();
    if (!trace.enabled()) return;
    Json j = trace.event("io");
    j["dev"] = io.device;
    j["op"] = op;
    j["sector"] = io.sector;
    j["sectors"] = io.sectors;
    j["error"] = err;
    if (write_id != 0) j["write"] = write_id;
    j["origin"] = io.origin;
    j["latency_us"] =
        std::chrono::duration_cast<std::chrono::microseconds>(world.clock().now() - started)
            .count();
    trace.emit(j);
}

void fail_later(World& world, std::function<void()> fn) {
    asio::post(world.context(), std::move(fn));
}

// Waits for a callback-style completion inside a coroutine.
template <typename T>
struct Waiter {
    explicit Waiter(asio::io_context& ctx) : done(ctx) {}
    std::optional<T> value;
    emu::AsyncEvent done;
};

}  // namespace

std::string errno_name(int err) {
    switch (-err) {
        case 0:
            return "0";
        case EIO:
            return "-EIO";
        case ENODEV:
            return "-ENODEV";
        case ENXIO:
            return "-ENXIO";
        case EROFS:
            return "-EROFS";
        case EINVAL:
            return "-EINVAL";
        case ENOENT:
            return "-ENOENT";
        case ESRCH:
            return "-ESRCH";
        case EAGAIN:
            return "-EAGAIN";
        case EEXIST:
            return "-EEXIST";
        case ENOSPC:
            return "-ENOSPC";
        case EOPNOTSUPP:
            return "-EOPNOTSUPP";
        case EBUSY:
            return "-EBUSY";
        case ETIMEDOUT:
            return "-ETIMEDOUT";
        default:
            return std::to_string(err);
    }
}

void submit_write(World& world, const IoRequest& io, std::function<void(int)> done) {
    auto handle = world.device(io.device);
    const auto started = world.clock().now();
    if (!handle) {
        fail_later(world, [&world, io, done = std::move(done), started] {
            trace_io(world, io, "write", -ENODEV, 0, started);
            done(-ENODEV);
        });
        return;
    }
    auto& data = world.data();
    const std::uint32_t id = data.begin_write(io.device, io.sector, io.sectors, io.origin, started);
    auto buf = std::make_shared<std::vector<std::byte>>(io.sectors * emu::kSectorSize);
    for (std::uint64_t i = 0; i < io.sectors; ++i)
        fill_sector(buf->data() + i * emu::kSectorSize, data.seed(), id, io.sector + i);
    emu::Bio bio;
    bio.op = emu::BioOp::write;
    bio.sector = io.sector;
    bio.sectors = io.sectors;
    bio.data = buf->data();
    bio.done = [&world, io, id, buf, keep = handle.mapped, done = std::move(done),
                started](int err) {
        world.data().end_write(id, err);
        trace_io(world, io, "write", err, id, started);
        done(err);
    };
    handle.dev->submit(std::move(bio));
}

void submit_read(World& world, const IoRequest& io, bool verify,
                 std::function<void(int, std::vector<Mismatch>)> done) {
    auto handle = world.device(io.device);
    const auto started = world.clock().now();
    if (!handle) {
        fail_later(world, [&world, io, done = std::move(done), started] {
            trace_io(world, io, "read", -ENODEV, 0, started);
            done(-ENODEV, {});
        });
        return;
    }
    const std::uint64_t since = world.data().sequence();
    auto buf = std::make_shared<std::vector<std::byte>>(io.sectors * emu::kSectorSize);
    emu::Bio bio;
    bio.op = emu::BioOp::read;
    bio.sector = io.sector;
    bio.sectors = io.sectors;
    bio.data = buf->data();
    bio.done = [&world, io, verify, since, buf, keep = handle.mapped, done = std::move(done),
                started](int err) {
        auto& data = world.data();
        data.count_read(io.device, err);
        std::vector<Mismatch> bad;
        if (err == 0 && verify)
            for (std::uint64_t i = 0; i < io.sectors; ++i) {
                const emu::Sector s = io.sector + i;
                auto c = identify(buf->data() + i * emu::kSectorSize, data.seed());
                if (!data.accepts_since(io.device, s, c, since))
                    bad.push_back(Mismatch{s, c, data.describe_allowed(io.device, s)});
            }
        trace_io(world, io, "read", err, 0, started);
        done(err, std::move(bad));
    };
    handle.dev->submit(std::move(bio));
}

asio::awaitable<int> write_and_wait(World& world, IoRequest io) {
    auto w = std::make_shared<Waiter<int>>(world.context());
    submit_write(world, io, [w](int err) {
        w->value = err;
        w->done.set();
    });
    co_await w->done.wait();
    co_return *w->value;
}

asio::awaitable<std::pair<int, std::vector<Mismatch>>> read_and_wait(World& world, IoRequest io,
                                                                     bool verify) {
    using Out = std::pair<int, std::vector<Mismatch>>;
    auto w = std::make_shared<Waiter<Out>>(world.context());
    submit_read(world, io, verify, [w](int err, std::vector<Mismatch> bad) {
        w->value = Out{err, std::move(bad)};
        w->done.set();
    });
    co_await w->done.wait();
    co_return std::move(*w->value);
}

asio::awaitable<int> read_raw(World& world, const std::string& device, emu::Sector sector,
                              std::uint64_t sectors, std::vector<std::byte>* out) {
    auto handle = world.device(device);
    if (!handle) co_return -ENODEV;
    out->assign(sectors * emu::kSectorSize, std::byte{0});
    emu::Bio bio;
    bio.op = emu::BioOp::read;
    bio.sector = sector;
    bio.sectors = sectors;
    bio.data = out->data();
    const int err = co_await emu::submit_and_wait(*handle.dev, std::move(bio));
    co_return err;
}

}  // namespace dmemu::scenario
