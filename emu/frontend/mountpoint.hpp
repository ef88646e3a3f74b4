// SPDX-License-Identifier: GPL-2.0-only
// What sits at a directory we are about to mount on, and the cleanup of a FUSE mount whose
// server died.
//
// A FUSE server that exits without unmounting (SIGKILL, a crash) leaves its mount in place with
// the connection aborted: every access to the mount point fails with ENOTCONN ("Transport
// endpoint is not connected") until someone unmounts it. Only the mount's owner may do that
// unprivileged (`fusermount3 -u`, which checks the user_id= of the mount); root uses umount2().
#pragma once

#include <string>

namespace dmemu::emu {

enum class MountpointState {
    free,       // a directory that is not a mount point: ready to mount on
    dead_fuse,  // a FUSE mount whose server is gone (ENOTCONN)
    mounted,    // a live mount of some file system
    unusable,   // missing, not a directory, or stat() fails otherwise
};

struct MountpointProbe {
    MountpointState state = MountpointState::unusable;
    std::string fstype;  // from /proc/self/mountinfo when a mount is there ("fuse.dmemu")
    std::string why;     // for `unusable`: what is wrong ("No such file or directory")
};

// `path` is absolute and normalized (no trailing slash, no `..`).
MountpointProbe probe_mountpoint(const std::string& path);

// Unmounts the dead FUSE mount(s) at `path`: umount2(MNT_DETACH) when root, else
// `fusermount3 -u -z`. Lazy, because clients of the dead server may still hold files open
// there. On failure returns false with *error ("fuse: cannot unmount the dead mount at ...").
bool unmount_dead_fuse(const std::string& path, std::string* error);

}  // namespace dmemu::emu
