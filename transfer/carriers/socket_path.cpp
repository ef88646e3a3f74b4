// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/carriers/socket_path.hpp"

#include <filesystem>
#include <system_error>

namespace dmemu::transfer {

void remove_stale_socket(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::symlink_status(path, ec);
    if (ec || status.type() == std::filesystem::file_type::not_found) return;
    if (status.type() != std::filesystem::file_type::socket)
        throw std::system_error(std::make_error_code(std::errc::file_exists),
                                "seqpacket: '" + path + "' exists and is not a socket");
    std::filesystem::remove(path, ec);
}

}  // namespace dmemu::transfer
