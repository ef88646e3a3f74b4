// SPDX-License-Identifier: GPL-2.0-only
// DmRequest and DmReply as JSON, the body of a control-socket message. Decoding is strict: a
// missing or mistyped field throws nlohmann::json::exception, which the daemon turns into an
// -EINVAL reply naming the problem; it never crashes the daemon.
#pragma once

#include <nlohmann/json.hpp>

#include "emu/core/dm_ioctl.hpp"

namespace dmemu::emu {

nlohmann::json to_json(const DmRequest& r);
nlohmann::json to_json(const DmReply& r);
DmRequest request_from_json(const nlohmann::json& j);
DmReply reply_from_json(const nlohmann::json& j);

}  // namespace dmemu::emu
