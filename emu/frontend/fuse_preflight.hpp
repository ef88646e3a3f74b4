// SPDX-License-Identifier: GPL-2.0-only
// Before mounting: can this process mount FUSE here, and is the mount point fit. Each check
// says what is wrong in words a user can act on ("fuse: /dev/fuse is missing (...)").
#pragma once

#include <string>

namespace dmemu::emu {

// Whether /etc/fuse.conf lets users pass allow_other.
bool user_allow_other();
// /dev/fuse opens read-write; else *why: missing, permission denied, or the errno's text.
bool check_dev_fuse(std::string* why);
// Unprivileged mounts need fusermount3 installed setuid root, and no no_new_privs bit.
bool fusermount3_usable(std::string* why);
// An existing directory that is not a mount point (a dead FUSE mount is named as such).
bool check_mountpoint(const std::string& mountpoint, std::string* why);

}  // namespace dmemu::emu
