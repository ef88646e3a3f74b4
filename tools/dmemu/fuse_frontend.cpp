// SPDX-License-Identifier: GPL-2.0-only
// The daemon's FUSE mount at DIR/mnt: emu/frontend's FuseFrontend behind the daemon's FrontEnd
// handle. Without a usable /dev/fuse the daemon keeps running without a mount and says why.
#include "tools/dmemu/fuse_frontend.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

#include "emu/frontend/fuse_frontend.hpp"

namespace dmemu::daemon {

namespace {

class FuseMount final : public FrontEnd {
public:
    explicit FuseMount(std::unique_ptr<emu::FuseFrontend> fe) : fe_(std::move(fe)) {}
    ~FuseMount() override { fe_->unmount(); }

private:
    std::unique_ptr<emu::FuseFrontend> fe_;
};

}  // namespace

std::unique_ptr<FrontEnd> mount_fuse_frontend(boost::asio::io_context& ctx, emu::DeviceMapper& dm,
                                              const std::string& mountpoint,
                                              const emu::FuseOptions& options) {
    std::error_code ec;
    std::filesystem::create_directories(mountpoint, ec);
    std::string error;
    auto fe = emu::FuseFrontend::mount(dm, ctx, mountpoint, &error, options);
    if (!fe) {
        spdlog::warn("fuse: not mounting {}: {}", mountpoint, error);
        return nullptr;
    }
    spdlog::info("fuse: devices at {}/mapper, disks at {}/disks", mountpoint, mountpoint);
    if (options.splice && fe->max_read() != 0)
        spdlog::info(
            "fuse: reads by splice: on, up to {} bytes per reply (the pipe's limit), so "
            "reads are split at {} bytes (max_read); {} splice threads",
            fe->splice_max_bytes(), fe->max_read(), fe->splice_threads());
    else if (options.splice)
        spdlog::info("fuse: reads by splice: on, up to {} bytes per reply; {} splice threads",
                     fe->splice_max_bytes(), fe->splice_threads());
    else
        spdlog::info("fuse: reads by splice: off (--no-splice)");
    return std::make_unique<FuseMount>(std::move(fe));
}

}  // namespace dmemu::daemon
