// SPDX-License-Identifier: GPL-2.0-only
// A table's open reference to a device (the kernel's struct dm_dev): the device, its number and
// name as the kernel prints it ("major:minor"). While any DeviceRef to a device lives, the
// device counts as open (its open count is raised), so a disk or a lower mapped device cannot be
// removed from under a table.
#pragma once

#include <functional>
#include <string>

#include "emu/io/block_device.hpp"

namespace dmemu::emu {

class DeviceRef {
public:
    DeviceRef(BlockDevice& dev, DevT devt, std::string disk_name, std::function<void()> on_release)
        : dev_(dev),
          devt_(devt),
          disk_name_(std::move(disk_name)),
          on_release_(std::move(on_release)) {}
    ~DeviceRef() {
        if (on_release_) on_release_();
    }
    DeviceRef(const DeviceRef&) = delete;
    DeviceRef& operator=(const DeviceRef&) = delete;

    BlockDevice& device() const { return dev_; }
    DevT devt() const { return devt_; }
    std::string name() const { return devt_.str(); }
    // The block device's own name as the kernel's %pg prints it ("ram0", "loop3", "dm-2").
    const std::string& disk_name() const { return disk_name_; }

private:
    BlockDevice& dev_;
    DevT devt_;
    std::string disk_name_;
    std::function<void()> on_release_;
};

}  // namespace dmemu::emu
