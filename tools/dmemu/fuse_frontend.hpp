// SPDX-License-Identifier: GPL-2.0-only
// >>> PLACE FOR THE FUSE FRONT END (not implemented here) <<<
//
// The daemon mounts its FUSE front end at DIR/mnt through mount_fuse_frontend(), right after
// the control socket is listening, and destroys the returned object (which must unmount) before
// DeviceMapper::shutdown(). The front end shows mnt/mapper/<name> for each mapped device with a
// live table and mnt/disks/<name> for each disk (DeviceMapper::subscribe gives the events), and
// hands every FUSE request to the daemon's io_context (DESIGN.md, principle 1).
//
// Until it lands, mount_fuse_frontend() returns nullptr and the daemon runs without a mount.
#pragma once

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

namespace dmemu::emu {
class DeviceMapper;
}

namespace dmemu::daemon {

class FrontEnd {
public:
    virtual ~FrontEnd() = default;  // unmounts
};

std::unique_ptr<FrontEnd> mount_fuse_frontend(boost::asio::io_context& ctx, emu::DeviceMapper& dm,
                                              const std::string& mountpoint);

}  // namespace dmemu::daemon
