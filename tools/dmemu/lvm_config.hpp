// SPDX-License-Identifier: GPL-2.0-only
// The LVM2 configuration `dmemu exec` gives the real LVM tools: DIR/etc/lvm/lvm.conf, found
// through LVM_SYSTEM_DIR, never the user's /etc/lvm. It is LVM2's own test suite's recipe
// (test/lib/aux.sh, generate_config) for PVs that are dm devices in a private device directory:
//   devices/dir and devices/scan = DIR/dev, a global_filter accepting only DIR's nodes, no udev
//   (obtain_device_list_from_udev=0, udev_sync=0, udev_rules=0, verify_udev_operations=1), no
//   devices file, no hints, no md/multipath/fw_raid signature probing, no data alignment from
//   sysfs; global/proc = DIR/proc (so sysfs is DIR/sys, read from DIR/proc/mounts); locking,
//   backup, archive and cache directories under DIR; no lvmpolld, dmeventd, D-Bus, AIO or
//   event activation; no memory locking priority changes.
// The file is written when missing, whole and by rename (two `dmemu exec` at once see either
// nothing or all of it), and never overwritten: a user's edits stay. Delete it to regenerate.
#pragma once

#include <string>

namespace dmemu::exec {

// The text of DIR's lvm.conf.
std::string lvm_config_text(const std::string& dir);
// Writes DIR/etc/lvm/lvm.conf (and the directories it names) unless it exists. Returns an
// error message, or "" on success.
std::string ensure_lvm_config(const std::string& dir);

}  // namespace dmemu::exec
