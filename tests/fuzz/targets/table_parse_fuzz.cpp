// SPDX-License-Identifier: GPL-2.0-only
// Fuzzes the table path end to end: libdm's table-text parser, then a table load of whatever it
// accepted into a real device mapper (kernel-side validation and every target constructor).
// Any crash, sanitizer report or hang is a bug; errors are the expected outcome.
#include <cstdint>
#include <string>

#include "tests/fuzz/targets/fuzz_device_mapper.hpp"

using namespace dmemu::emu;

namespace {

// A named coroutine, not a lambda: gcc 12 emits a coroutine lambda inside an extern "C"
// function twice (assembler "symbol already defined").
boost::asio::awaitable<void> load_and_query(DeviceMapper& dm, std::vector<TargetSpec> specs) {
    DmRequest disk;
    disk.cmd = DmCommand::disk_add;
    disk.name = "ram0";
    disk.size_sectors = 2048;
    disk.devt = DevT{1, 0};
    co_await dm.ioctl(disk);
    DmRequest create;
    create.cmd = DmCommand::dev_create;
    create.name = "f";
    co_await dm.ioctl(create);
    DmRequest load;
    load.cmd = DmCommand::table_load;
    load.name = "f";
    load.targets = std::move(specs);
    const DmReply r = co_await dm.ioctl(load);
    if (r.error == 0) {
        DmRequest resume;
        resume.cmd = DmCommand::dev_suspend;
        resume.name = "f";
        co_await dm.ioctl(resume);
        DmRequest st;
        st.cmd = DmCommand::table_status;
        st.name = "f";
        st.status_table = true;
        co_await dm.ioctl(st);
    }
    co_await dm.shutdown();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) return 0;
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::string err;
    auto specs = parse_table_text(text, "fuzz", &err);
    if (!specs) return 0;

    dmemu::fuzz::FuzzDeviceMapper world;
    world.run(load_and_query(world.dm, std::move(*specs)));
    return 0;
}
