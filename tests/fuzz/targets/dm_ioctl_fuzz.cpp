// SPDX-License-Identifier: GPL-2.0-only
// Fuzzes the binary dm_ioctl endpoint's codec end to end: the first byte picks the ioctl number,
// the rest is the caller's buffer, fed to a device mapper that already holds a live device with
// an inactive table, a device with no table, and two disks. Properties:
//   - no crash, sanitizer report or hang;
//   - a buffer the decoder refuses changes no device (names, uuids, tables, suspend state);
//   - the answer copies back no more than the caller's buffer holds, and a successful one says
//     in its own data_size how much it copied.
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "emu/ioctl/dm_ioctl_codec.hpp"
#include "tests/fuzz/targets/fuzz_device_mapper.hpp"

using namespace dmemu::emu;

namespace {

[[noreturn]] void property_failed(const char* what) {
    std::fprintf(stderr, "dm_ioctl_fuzz: property failed: %s\n", what);
    std::abort();
}

// What a refused buffer must leave as it was.
std::string snapshot(const DeviceMapper& dm) {
    std::string s;
    for (const auto& name : dm.mapped_names()) {
        auto md = dm.find_mapped(name);
        s += name + "|" + md->uuid() + "|" + md->devt().str() + "|" + (md->live() ? "L" : "-") +
             (md->inactive() ? "I" : "-") + (md->suspended() ? "S" : "-") + ";";
    }
    return s;
}

DmRequest named(DmCommand cmd, const std::string& name) {
    DmRequest r;
    r.cmd = cmd;
    r.name = name;
    return r;
}

boost::asio::awaitable<void> run_one(DeviceMapper& dm, std::uint32_t command,
                                     std::vector<std::uint8_t> buffer) {
    for (const char* disk : {"ram0", "ram1"}) {
        DmRequest d = named(DmCommand::disk_add, disk);
        d.size_sectors = 4096;
        co_await dm.ioctl(d);
    }
    co_await dm.ioctl(named(DmCommand::dev_create, "live"));
    DmRequest load = named(DmCommand::table_load, "live");
    load.targets = {TargetSpec{0, 2048, "linear", "/dev/ram0 0"}};
    co_await dm.ioctl(load);
    co_await dm.ioctl(named(DmCommand::dev_suspend, "live"));
    load.targets = {TargetSpec{0, 1024, "zero", ""}};
    co_await dm.ioctl(load);
    DmRequest bare = named(DmCommand::dev_create, "bare");
    bare.uuid = "U-bare";
    co_await dm.ioctl(bare);

    const std::string before = snapshot(dm);
    const DecodedIoctl d = decode_dm_ioctl(command, buffer);
    DmReply reply;
    if (d.error == 0 && !d.version_only) {
        // A wait would wait for ever on a quiet device: what it answers once woken is a
        // table status of the same device, so that is what runs.
        DmRequest r = d.request;
        if (r.cmd == DmCommand::dev_wait) r.cmd = DmCommand::table_status;
        reply = co_await dm.ioctl(r);
    }
    if (d.error != 0 && snapshot(dm) != before)
        property_failed("a refused buffer changed a device");
    const IoctlAnswer a = encode_dm_ioctl_answer(d, reply);
    if (a.out.size() > std::max<std::size_t>(buffer.size(), 12))
        property_failed("answer longer than the buffer");
    if (a.result == 0 && !d.version_only && d.error == 0 && a.out.size() >= 16) {
        std::uint32_t data_size;
        std::memcpy(&data_size, a.out.data() + offsetof(dm_ioctl, data_size), sizeof data_size);
        if (data_size != a.out.size())
            property_failed("data_size differs from the bytes copied back");
    }
    co_await dm.shutdown();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1 || size > 64 * 1024) return 0;
    const std::uint32_t command =
        _IOC(_IOC_READ | _IOC_WRITE, DM_IOCTL, data[0] % 20, sizeof(dm_ioctl));
    std::vector<std::uint8_t> buffer(data + 1, data + size);

    dmemu::fuzz::FuzzDeviceMapper world;
    world.run(run_one(world.dm, command, std::move(buffer)));
    return 0;
}
