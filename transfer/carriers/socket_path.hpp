// SPDX-License-Identifier: GPL-2.0-only
// The socket file a listening carrier binds: what is already at the path decides whether it may.
#pragma once

#include <string>

namespace dmemu::transfer {

// Removes a socket file left at `path` by a server that died; throws std::system_error
// (file_exists) when something other than a socket is there. Nothing there is fine.
void remove_stale_socket(const std::string& path);

}  // namespace dmemu::transfer
