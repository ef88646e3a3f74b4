// SPDX-License-Identifier: GPL-2.0-only
// dmemu's own control requests for block faults on disks (not the kernel's): add, list, remove
// and clear the faults of the FaultyDisk every disk is. `dmemu-setup fault` and the scenario
// step `fault disk` both come here. Fault specs and kinds: emu/faults, docs/faults.md.
#include <cerrno>

#include "emu/core/device_mapper.hpp"
#include "emu/faults/faulty_disk.hpp"

namespace dmemu::emu {

namespace {

DmReply fault_error(int err, std::string detail) {
    DmReply r;
    r.error = err;
    r.detail = std::move(detail);
    return r;
}

void list_into(DmReply& r, const std::string& disk, const FaultyDisk& dev) {
    for (auto& f : dev.faults()) r.faults.push_back({disk, f.id, f.kind, f.spec, f.fired});
}

}  // namespace

std::vector<DeviceMapper::Disk*> DeviceMapper::fault_targets(const DmRequest& req,
                                                             bool all_when_empty,
                                                             DmReply* error) const {
    std::vector<Disk*> out;
    if (req.name.empty() && all_when_empty) {
        for (const auto& [name, d] : disks_) out.push_back(d.get());
        return out;
    }
    if (req.name.empty()) {
        *error = fault_error(-EINVAL, "fault: a disk name is required");
        return out;
    }
    auto it = disks_.find(req.name);
    if (it == disks_.end()) {
        *error = fault_error(-ENXIO, "fault: no disk named '" + req.name + "'");
        return out;
    }
    out.push_back(it->second.get());
    return out;
}

DmReply DeviceMapper::fault_add(const DmRequest& req) {
    DmReply r;
    const auto disks = fault_targets(req, false, &r);
    if (disks.empty()) return r;
    FaultyDisk& dev = *disks.front()->dev;
    std::string why;
    const auto id = dev.add_fault(req.message, &why);
    if (!id) return fault_error(-EINVAL, why);
    for (auto& f : dev.faults())
        if (f.id == *id) r.faults.push_back({req.name, f.id, f.kind, f.spec, f.fired});
    return r;
}

DmReply DeviceMapper::fault_list(const DmRequest& req) const {
    DmReply r;
    const auto disks = fault_targets(req, true, &r);
    if (r.error) return r;
    for (const Disk* d : disks) list_into(r, d->name, *d->dev);
    return r;
}

DmReply DeviceMapper::fault_remove(const DmRequest& req) {
    DmReply r;
    const auto disks = fault_targets(req, false, &r);
    if (disks.empty()) return r;
    if (!disks.front()->dev->remove_fault(req.fault_id))
        return fault_error(
            -ENOENT, "fault: disk '" + req.name + "' has no fault " + std::to_string(req.fault_id));
    return r;
}

DmReply DeviceMapper::fault_clear(const DmRequest& req) {
    DmReply r;
    const auto disks = fault_targets(req, true, &r);
    if (r.error) return r;
    for (Disk* d : disks) d->dev->clear_faults();
    return r;
}

}  // namespace dmemu::emu
