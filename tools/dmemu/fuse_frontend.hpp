// SPDX-License-Identifier: GPL-2.0-only
// The one place the daemon mounts its FUSE front end (emu/frontend) at DIR/mnt: called once the
// control socket listens; the returned handle unmounts when destroyed, which the daemon does
// after DeviceMapper::shutdown(), off the loop thread while the loop still runs. The mount shows
// mnt/mapper/<name> for each mapped device with a live table and mnt/disks/<name> for each
// disk, and serves every FUSE request on the daemon's io_context (DESIGN.md, principle 1).
// Returns nullptr (the daemon runs on without a mount, saying why in its log) when /dev/fuse
// cannot be used; `dmemu start` has said so on stderr already (claim_mountpoint in
// daemon_dir.hpp), and has cleared a dead mount a crashed daemon left at DIR/mnt.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "emu/frontend/fuse_frontend.hpp"

namespace dmemu::emu {
class DeviceMapper;
}

namespace dmemu::daemon {

class FrontEnd {
public:
    virtual ~FrontEnd() = default;  // unmounts
};

std::unique_ptr<FrontEnd> mount_fuse_frontend(boost::asio::io_context& ctx, emu::DeviceMapper& dm,
                                              const std::string& mountpoint,
                                              const emu::FuseOptions& options);

}  // namespace dmemu::daemon
