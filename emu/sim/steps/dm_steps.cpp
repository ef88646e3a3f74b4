// SPDX-License-Identifier: GPL-2.0-only
// dm steps: dmsetup command lines, run through the dmsetup library (tools/dmsetup/) against
// the world's device mapper, so a scenario's dm lines also run unchanged against a real kernel
// with dmsetup. A step fails when dmsetup would exit non-zero; its message is dmsetup's stderr.
//
//   create pv --uuid LVM-pv --table '0 2048 mirror userspace 3 LVM-U clustered-core 64 2 ...'
//   load pv --table '0 4096 mirror ...'        suspend pv      resume pv       clear pv
//   remove pv      rename pv pv2      message pv 0 'text'      status pv       table pv
//   info pv        (any dmsetup command; "dmsetup create ..." is accepted too)
#include "emu/sim/dm_command.hpp"
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

namespace {

class DmStep final : public Step {
public:
    explicit DmStep(std::vector<std::string> argv) : argv_(std::move(argv)) {}
    asio::awaitable<StepResult> run(World& world) override {
        auto r = co_await run_dm(world, argv_);
        if (r.exit_code != 0)
            co_return StepResult::fail(chomp(
                r.err.empty() ? "dmsetup exited with " + std::to_string(r.exit_code) : r.err));
        co_return StepResult::pass(chomp(r.out));
    }

private:
    std::vector<std::string> argv_;
};

std::unique_ptr<Step> make_dm(StepArgs& a) {
    std::vector<std::string> argv;
    if (a.name() != "dmsetup") argv.emplace_back(a.name());
    for (const auto& w : a.words()) argv.push_back(w);
    if (argv.empty()) a.fail("expected a dmsetup command");
    return std::make_unique<DmStep>(std::move(argv));
}

}  // namespace

void register_dm_steps(StepRegistry& r) {
    static constexpr std::string_view kCommands[] = {
        "create",     "load",    "reload",  "suspend", "resume", "clear", "remove",
        "remove_all", "rename",  "message", "status",  "table",  "info",  "ls",
        "deps",       "targets", "version", "mknodes", "dmsetup"};
    for (auto name : kCommands)
        r.add(StepKind{name, "<dmsetup command line>, e.g. load NAME --table 'TABLE'", make_dm});
}

}  // namespace dmemu::scenario
