// SPDX-License-Identifier: GPL-2.0-only
// World steps that shape the run rather than the devices' state:
//   disk NAME SIZE [devno=MAJ:MIN]   a RAM disk (zero-filled), as `dmemu-setup disk add`
//   advance DURATION                 let virtual time pass (timers, background I/O run)
//   mark NAME                        remember this point: `since=NAME` windows in expectations
//   copy-bandwidth RATE|unlimited    how fast kcopyd copies (mirror resync): 100MiB/s unless set
#include <charconv>

#include "emu/sim/step_registry.hpp"
#include "emu/sim/units.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

class DiskStep final : public Step {
public:
    DiskStep(std::string name, emu::Sector sectors, std::optional<emu::DevT> devt)
        : name_(std::move(name)), sectors_(sectors), devt_(devt) {}
    asio::awaitable<StepResult> run(World& world) override {
        emu::DmRequest req;
        req.cmd = emu::DmCommand::disk_add;
        req.name = name_;
        req.size_sectors = sectors_;
        req.devt = devt_;
        auto reply = co_await world.channel().call(std::move(req));
        if (reply.error != 0)
            co_return StepResult::fail(reply.detail.empty() ? "disk: cannot add '" + name_ + "'"
                                                            : reply.detail);
        co_return StepResult::pass();
    }

private:
    std::string name_;
    emu::Sector sectors_;
    std::optional<emu::DevT> devt_;
};

std::optional<emu::DevT> parse_devno(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    emu::DevT d;
    auto a = std::from_chars(s.data(), s.data() + colon, d.major);
    auto b = std::from_chars(s.data() + colon + 1, s.data() + s.size(), d.minor);
    if (a.ec != std::errc{} || a.ptr != s.data() + colon || b.ec != std::errc{} ||
        b.ptr != s.data() + s.size())
        return std::nullopt;
    return d;
}

std::unique_ptr<Step> make_disk(StepArgs& a) {
    auto devno = a.option("devno");
    a.no_more_options();
    a.require(2, 2);
    const std::uint64_t bytes = a.bytes(1, "the disk size");
    if (bytes == 0 || bytes % emu::kSectorSize != 0)
        a.fail("expected a size that is a positive multiple of 512 bytes, got '" + a[1] + "'");
    std::optional<emu::DevT> devt;
    if (devno) {
        devt = parse_devno(*devno);
        if (!devt) a.fail("expected devno=MAJOR:MINOR, got '" + *devno + "'");
    }
    return std::make_unique<DiskStep>(a[0], bytes / emu::kSectorSize, devt);
}

class AdvanceStep final : public Step {
public:
    explicit AdvanceStep(emu::Duration d) : d_(d) {}
    asio::awaitable<StepResult> run(World& world) override {
        emu::Sleep sleep(world.clock());
        co_await sleep.for_(d_);
        co_return StepResult::pass();
    }
    emu::Duration limit() const override { return d_ + std::chrono::minutes(1); }

private:
    emu::Duration d_;
};

std::unique_ptr<Step> make_advance(StepArgs& a) {
    a.require(1, 1);
    return std::make_unique<AdvanceStep>(a.duration(a[0], "how long"));
}

class MarkStep final : public Step {
public:
    explicit MarkStep(std::string name) : name_(std::move(name)) {}
    asio::awaitable<StepResult> run(World& world) override {
        world.marks()[name_] = Mark{world.ulog().exchanges().size(), world.kernel_log().last_seq()};
        co_return StepResult::pass();
    }

private:
    std::string name_;
};

class CopyBandwidthStep final : public Step {
public:
    explicit CopyBandwidthStep(std::uint64_t bytes_per_second) : rate_(bytes_per_second) {}
    asio::awaitable<StepResult> run(World& world) override {
        world.set_copy_bandwidth(rate_);
        co_return StepResult::pass();
    }

private:
    std::uint64_t rate_;
};

// RATE: a size per second ("4MiB/s", "512k/s"), or "unlimited" (copies take only their disks'
// latency).
std::unique_ptr<Step> make_copy_bandwidth(StepArgs& a) {
    a.no_more_options();
    a.require(1, 1);
    if (a[0] == "unlimited") return std::make_unique<CopyBandwidthStep>(0);
    const std::string_view word = a[0];
    const auto slash = word.rfind("/s");
    const auto bytes = slash != std::string_view::npos && slash + 2 == word.size()
                           ? parse_size_bytes(word.substr(0, slash))
                           : std::nullopt;
    if (!bytes || *bytes == 0)
        a.fail("expected a rate such as 4MiB/s or 512k/s, or unlimited, got '" + a[0] + "'");
    return std::make_unique<CopyBandwidthStep>(*bytes);
}

}  // namespace

void register_world_steps(StepRegistry& r) {
    r.add(StepKind{"disk", "disk NAME SIZE [devno=MAJ:MIN]", make_disk});
    r.add(StepKind{"advance", "advance DURATION", make_advance});
    r.add(StepKind{"mark", "mark NAME", make_with_one_word<MarkStep>});
    r.add(StepKind{"copy-bandwidth", "copy-bandwidth RATE|unlimited", make_copy_bandwidth});
}

}  // namespace dmemu::scenario
