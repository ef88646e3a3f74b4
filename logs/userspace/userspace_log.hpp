// SPDX-License-Identifier: GPL-2.0-only
// The "userspace" dirty log: drivers/md/dm-log-userspace-base.c. Every operation is a request
// to a log server through the kernel endpoint (transfer/kernel_endpoint.hpp); see
// userspace_log.cpp for the table grammar, the status formats and the -ESRCH reconnect path.
#pragma once

#include "logs/dirty_log.hpp"

namespace dmemu::logs {

// The registered type (dm_dirty_log_type "userspace"), listed in logs/builtin_logs.cpp.
extern const DirtyLogType userspace_log_type;

}  // namespace dmemu::logs
