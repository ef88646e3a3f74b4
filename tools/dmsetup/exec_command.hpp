// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's --exec (dmsetup.c _exec_command): after `ls`, `status` or `table` has matched a
// device, run the command with the device's node, ${DM_DEV_DIR:-/dev}/mapper/NAME, as its last
// argument, and wait for it. The command line is split at white space, at most 255 words. The
// child's exit status is not looked at; a program that cannot be run exits 127 unseen.
//
// The child's output is taken into the session's output in order (dmsetup's child writes to the
// same terminal), so that a session whose output is a string (a scenario, the golden replay)
// shows it too.
#pragma once

#include <string>

#include "tools/dmsetup/session.hpp"

namespace dmemu::dmsetup {

// False when the command line has no word or too many ("Too many args to --exec.") or the fork
// fails.
bool exec_command(Session& s, const std::string& name);

}  // namespace dmemu::dmsetup
