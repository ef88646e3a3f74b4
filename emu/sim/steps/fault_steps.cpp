// SPDX-License-Identifier: GPL-2.0-only
// Faults (docs/faults.md):
//   fault disk NAME SPEC...                     a block fault on disk NAME, through the same
//                                               control request as `dmemu-setup fault add`
//                                               (e.g. fault disk src eio sectors=100-199 op=write)
//   fault transport to-server|to-kernel|both SPEC...
//                                               a transport fault on the ulog link; the direction
//                                               becomes the spec's dir= (`cut` takes `both`: no
//                                               listener refuses everything)
//   fault clear [disk [NAME] | transport | all]  remove faults: one disk's, every disk's, the
//                                               link's, or all of them (default)
// A bad spec fails at parse time with the fault parser's own words. Every firing is traced as
// a "fault" line by the world.
#include <fmt/format.h>

#include "emu/faults/faulty_disk.hpp"
#include "emu/sim/fault_plan.hpp"
#include "emu/sim/step_registry.hpp"
#include "emu/sim/world.hpp"

namespace dmemu::scenario {

namespace {

std::string join_from(const StepArgs& a, std::size_t from) {
    std::string out;
    for (std::size_t i = from; i < a.size(); ++i) out += (out.empty() ? "" : " ") + a[i];
    return out;
}

class DiskFaultStep final : public Step {
public:
    DiskFaultStep(std::string disk, std::string spec)
        : disk_(std::move(disk)), spec_(std::move(spec)) {}
    asio::awaitable<StepResult> run(World& world) override {
        emu::DmRequest req;
        req.cmd = emu::DmCommand::fault_add;
        req.name = disk_;
        req.message = spec_;
        auto reply = co_await world.channel().call(std::move(req));
        if (reply.error != 0) co_return StepResult::fail(reply.detail);
        if (reply.faults.empty()) co_return StepResult::pass();
        co_return StepResult::pass(fmt::format("fault {} on disk {}: {}", reply.faults.front().id,
                                               disk_, reply.faults.front().spec));
    }

private:
    std::string disk_, spec_;
};

std::unique_ptr<Step> make_disk(StepArgs& a) {
    if (a.size() < 2) a.fail("expected a disk NAME and a fault SPEC");
    std::string spec = join_from(a, 1);
    if (auto error = disk_fault_spec_error(spec); !error.empty()) a.fail(error);
    return std::make_unique<DiskFaultStep>(a[0], std::move(spec));
}

class TransportFaultStep final : public Step {
public:
    explicit TransportFaultStep(std::string spec) : spec_(std::move(spec)) {}
    asio::awaitable<StepResult> run(World& world) override {
        std::string error;
        auto id = world.transport_faults().add(spec_, &error);
        if (!id) co_return StepResult::fail(error);
        co_return StepResult::pass(fmt::format("transport fault {}: {}", *id, spec_));
    }

private:
    std::string spec_;
};

std::unique_ptr<Step> make_transport(StepArgs& a) {
    if (a.size() < 2) a.fail("expected a direction and a fault SPEC");
    const std::string& dir = a[0];
    if (dir != "to-server" && dir != "to-kernel" && dir != "both")
        a.fail("expected to-server, to-kernel or both, got '" + dir + "'");
    for (std::size_t i = 2; i < a.size(); ++i)
        if (a[i].rfind("dir=", 0) == 0) a.fail("the direction is the word after 'transport'");
    std::string spec = join_from(a, 1);
    if (a[1] == "cut") {
        if (dir != "both")
            a.fail("a cut refuses every direction: write 'fault transport both cut'");
    } else {
        spec += " dir=" + dir;
    }
    if (auto error = transport_fault_spec_error(spec); !error.empty()) a.fail(error);
    return std::make_unique<TransportFaultStep>(std::move(spec));
}

class ClearStep final : public Step {
public:
    ClearStep(bool disks, bool transport, std::string disk)
        : disks_(disks), transport_(transport), disk_(std::move(disk)) {}
    asio::awaitable<StepResult> run(World& world) override {
        if (transport_) world.transport_faults().clear();
        if (disks_) {
            emu::DmRequest req;
            req.cmd = emu::DmCommand::fault_clear;
            req.name = disk_;
            auto reply = co_await world.channel().call(std::move(req));
            if (reply.error != 0) co_return StepResult::fail(reply.detail);
        }
        co_return StepResult::pass();
    }

private:
    bool disks_, transport_;
    std::string disk_;
};

std::unique_ptr<Step> make_clear(StepArgs& a) {
    a.require(0, 2);
    if (a.size() == 0 || (a.size() == 1 && a[0] == "all"))
        return std::make_unique<ClearStep>(true, true, "");
    if (a[0] == "transport" && a.size() == 1) return std::make_unique<ClearStep>(false, true, "");
    if (a[0] == "disk") return std::make_unique<ClearStep>(true, false, a.size() == 2 ? a[1] : "");
    a.fail("expected disk [NAME], transport or all, got '" + a[0] + "'");
}

}  // namespace

void register_fault_steps(StepRegistry& r) {
    r.add(StepKind{"fault disk", "fault disk NAME SPEC...", make_disk});
    r.add(StepKind{"fault transport", "fault transport to-server|to-kernel|both SPEC...",
                   make_transport});
    r.add(StepKind{"fault clear", "fault clear [disk [NAME] | transport | all]", make_clear});
}

}  // namespace dmemu::scenario
