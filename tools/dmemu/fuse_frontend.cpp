// SPDX-License-Identifier: GPL-2.0-only
// Placeholder: see fuse_frontend.hpp. Replace this file with the real front end.
#include "tools/dmemu/fuse_frontend.hpp"

#include <spdlog/spdlog.h>

namespace dmemu::daemon {

std::unique_ptr<FrontEnd> mount_fuse_frontend(boost::asio::io_context&, emu::DeviceMapper&,
                                              const std::string& mountpoint) {
    spdlog::info("fuse: front end not built yet; nothing mounted at {}", mountpoint);
    return nullptr;
}

}  // namespace dmemu::daemon
