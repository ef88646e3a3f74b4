// SPDX-License-Identifier: GPL-2.0-only
// dm-delay: holds each bio for a fixed time before sending it on, with separate devices and
// delays for reads, writes and flushes (drivers/md/dm-delay.c, 6.1, v1.3.0).
//
// Table:  <dev> <offset> <delay_ms> [<wdev> <woffset> <wdelay_ms> [<fdev> <foffset> <fdelay_ms>]]
//   3 arguments: one class for everything; 6: reads, then writes and flushes; 9: reads, writes,
//   flushes. Delays are "%u" milliseconds ("4294967296" reads as 0, as in t33).
// TABLE status: the groups given, e.g. "1:0 16 100", "1:0 0 100 1:1 32 200"
// INFO status: "<reads held> <writes held> <flushes held>", e.g. "0 0 0"
// No messages.
//
// A bio of a class with a non-zero delay is held until jiffies >= arrival jiffies +
// msecs_to_jiffies(delay) (HZ 250: see jiffies.hpp); one timer, armed for the earliest expiry,
// releases every expired bio in arrival order (flush_delayed_bios). Writes and discards are the
// write class; an empty flush is the flush class. presuspend releases everything held at once
// and stops delaying until resume, so a suspend never waits out a delay.
#include <fmt/format.h>

#include <cerrno>
#include <list>
#include <memory>
#include <optional>

#include "emu/targets/builtin.hpp"
#include "emu/targets/jiffies.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

struct DelayClass {
    std::shared_ptr<DeviceRef> dev;
    Sector start = 0;
    std::uint32_t delay_ms = 0;
    unsigned ops = 0;  // bios of this class held now
};

struct DelayedBio {
    Bio bio;
    DelayClass* cls;
    std::uint64_t expires;  // jiffies
};

// The held bios and their timer. Shared with the timer callback, which may already be posted
// when the target goes away: it then finds the queue gone and does nothing.
struct DelayQueue {
    std::list<DelayedBio> delayed;  // arrival order
    bool may_delay = true;
    std::optional<TimerId> timer;
    std::uint64_t timer_expires = 0;  // jiffies, while timer is set
};

class DelayTarget final : public Target {
public:
    DelayTarget(TableEnvironment& env, DelayClass read, DelayClass write, DelayClass flush,
                std::size_t argc, Sector len)
        : env_(env),
          read_(std::move(read)),
          write_(std::move(write)),
          flush_(std::move(flush)),
          argc_(argc),
          len_(len),
          queue_(std::make_shared<DelayQueue>()) {}

    ~DelayTarget() override {
        // Teardown without a suspend (the emulator going away): the bios' owners are going too,
        // so the held bios are dropped rather than completed into freed devices.
        delay_cancel_timer();
    }

    MapResult map(Bio& bio) override {
        DelayClass& c = bio.op == BioOp::read ? read_ : bio.op == BioOp::flush ? flush_ : write_;
        if (bio.op != BioOp::flush) bio.sector += c.start;
        if (c.delay_ms == 0 || !queue_->may_delay) return MapResult::remap(&c.dev->device());
        // delay_bio
        const std::uint64_t expires = jiffies_at(env_.clock().now()) + msecs_to_jiffies(c.delay_ms);
        ++c.ops;
        queue_->delayed.push_back(DelayedBio{std::move(bio), &c, expires});
        delay_queue_timeout(expires);
        return MapResult::submitted();
    }

    asio::awaitable<void> presuspend() override {
        queue_->may_delay = false;
        delay_cancel_timer();
        delay_flush_bios(true);
        co_return;
    }

    asio::awaitable<void> resume() override {
        queue_->may_delay = true;
        co_return;
    }

    asio::awaitable<std::string> status(StatusType type) override {
        if (type == StatusType::info)
            co_return fmt::format("{} {} {}", read_.ops, write_.ops, flush_.ops);
        std::string out = delay_class_text(read_);
        if (argc_ >= 6) out += " " + delay_class_text(write_);
        if (argc_ >= 9) out += " " + delay_class_text(flush_);
        co_return out;
    }

    // delay_iterate_devices visits read, write and flush; the kernel stops at the first device
    // area that does not fit, which the core's walk cannot, so a class identical to one already
    // visited (all three with 3 arguments) is not visited again: one "too small" line, as in t33.
    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        const DelayClass* seen[3] = {};
        std::size_t n = 0;
        for (const DelayClass* c : {&read_, &write_, &flush_}) {
            bool dup = false;
            for (std::size_t i = 0; i < n; ++i)
                dup = dup || (seen[i]->dev == c->dev && seen[i]->start == c->start);
            if (dup) continue;
            seen[n++] = c;
            fn(*c->dev, c->start, len_);
        }
    }

private:
    static std::string delay_class_text(const DelayClass& c) {
        return fmt::format("{} {} {}", c.dev->name(), c.start, c.delay_ms);
    }

    // queue_timeout: arm the timer unless it is already due no later.
    void delay_queue_timeout(std::uint64_t expires) {
        if (queue_->timer && queue_->timer_expires <= expires) return;
        delay_cancel_timer();
        std::weak_ptr<DelayQueue> weak = queue_;
        queue_->timer_expires = expires;
        queue_->timer = env_.clock().call_at(jiffies_to_time(expires), [this, weak] {
            auto q = weak.lock();
            if (!q) return;
            q->timer.reset();
            delay_flush_bios(false);
        });
    }

    void delay_cancel_timer() {
        if (!queue_->timer) return;
        env_.clock().cancel(*queue_->timer);
        queue_->timer.reset();
    }

    // flush_delayed_bios: send every expired bio (all of them when flush_all) in arrival
    // order, and re-arm the timer for the earliest one left.
    void delay_flush_bios(bool flush_all) {
        const std::uint64_t now = jiffies_at(env_.clock().now());
        std::list<DelayedBio> ready;
        std::optional<std::uint64_t> next;
        for (auto it = queue_->delayed.begin(); it != queue_->delayed.end();) {
            if (flush_all || now >= it->expires) {
                --it->cls->ops;
                auto done = it++;
                ready.splice(ready.end(), queue_->delayed, done);
                continue;
            }
            next = next ? std::min(*next, it->expires) : it->expires;
            ++it;
        }
        if (next) delay_queue_timeout(*next);
        for (auto& d : ready) d.cls->dev->device().submit(std::move(d.bio));
    }

    TableEnvironment& env_;
    DelayClass read_, write_, flush_;
    const std::size_t argc_;
    const Sector len_;
    std::shared_ptr<DelayQueue> queue_;
};

// delay_class_ctr: "<dev> <offset> <delay>"; the device is looked up last.
bool delay_class_ctr(TargetContext& ti, const std::string* argv, DelayClass& c, int* err) {
    const auto start = kernel_scan_ull(argv[1]);
    if (!start) {
        ti.error = "Invalid device sector";
        *err = -EINVAL;
        return false;
    }
    c.start = *start;
    const auto delay = kernel_scan_u(argv[2]);
    if (!delay) {
        ti.error = "Invalid delay";
        *err = -EINVAL;
        return false;
    }
    c.delay_ms = *delay;
    c.dev = ti.get_device(argv[0], err);
    if (!c.dev) {
        ti.error = "Device lookup failed";
        return false;
    }
    return true;
}

asio::awaitable<TargetCtrResult> delay_ctr(TargetContext& ti, std::vector<std::string> argv) {
    const std::size_t argc = argv.size();
    if (argc != 3 && argc != 6 && argc != 9) {
        ti.error = "Requires exactly 3, 6 or 9 arguments";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    // With 3 arguments every class is the first group; with 6 flushes share the write group.
    const std::string* read_args = &argv[0];
    const std::string* write_args = argc >= 6 ? &argv[3] : read_args;
    const std::string* flush_args = argc >= 9 ? &argv[6] : write_args;
    DelayClass read, write, flush;
    int err = 0;
    if (!delay_class_ctr(ti, read_args, read, &err) ||
        !delay_class_ctr(ti, write_args, write, &err) ||
        !delay_class_ctr(ti, flush_args, flush, &err))
        co_return TargetCtrResult::fail(err);
    ti.num_flush_bios = 1;
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{std::make_unique<DelayTarget>(
        ti.env, std::move(read), std::move(write), std::move(flush), argc, ti.len)};
}

}  // namespace

const TargetType delay_target{"delay", {1, 3, 0}, delay_ctr};

}  // namespace dmemu::emu
