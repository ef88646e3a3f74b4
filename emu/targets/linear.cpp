// SPDX-License-Identifier: GPL-2.0-only
// dm-linear: maps a range of the device onto a range of another device (drivers/md/dm-linear.c).
//
// Table:  <dev> <offset>
// TABLE status: "<major:minor> <offset>"     INFO status: empty
#include <fmt/format.h>

#include <cerrno>

#include "emu/targets/builtin.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

class LinearTarget final : public Target {
public:
    LinearTarget(std::shared_ptr<DeviceRef> dev, Sector start, Sector len)
        : dev_(std::move(dev)), start_(start), len_(len) {}

    MapResult map(Bio& bio) override {
        if (bio.op != BioOp::flush) bio.sector += start_;  // linear_map_sector
        return MapResult::remap(&dev_->device());
    }

    asio::awaitable<std::string> status(StatusType type) override {
        if (type == StatusType::table) co_return fmt::format("{} {}", dev_->name(), start_);
        co_return std::string();
    }

    std::optional<FileExtent> file_extent(Sector sector, std::uint64_t sectors, BioOp op) override {
        return dev_->device().file_extent(sector + start_, sectors, op);
    }

    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        fn(*dev_, start_, len_);
    }

private:
    std::shared_ptr<DeviceRef> dev_;
    Sector start_;
    Sector len_;
};

asio::awaitable<TargetCtrResult> linear_ctr(TargetContext& ti, std::vector<std::string> argv) {
    if (argv.size() != 2) {
        ti.error = "Invalid argument count";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    const auto start = kernel_scan_ull(argv[1]);  // sscanf "%llu%c": no sign
    if (!start) {
        ti.error = "Invalid device sector";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    int err = 0;
    auto dev = ti.get_device(argv[0], &err);
    if (!dev) {
        ti.error = "Device lookup failed";
        co_return TargetCtrResult::fail(err);
    }
    ti.num_flush_bios = 1;
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{std::make_unique<LinearTarget>(std::move(dev), *start, ti.len)};
}

}  // namespace

const TargetType linear_target{"linear", {1, 4, 0}, linear_ctr};

}  // namespace dmemu::emu
