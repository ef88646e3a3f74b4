// SPDX-License-Identifier: GPL-2.0-only
// dmsetup's _display_info: a device's DM_DEV_STATUS reply as the long form ("Name:   ...") or,
// with -c, as a row of the column report.
//
// Long form (dmsetup.c _display_info_long), one line each, the optional ones in brackets:
//   Name:              NAME
//   State:             ACTIVE|SUSPENDED[ (READ-ONLY)]
//  [Read Ahead:        SECTORS]          only when the /dev/mapper node exists (a live table);
//                                        otherwise stderr gets "/dev/mapper/NAME: open failed:
//                                        No such file or directory" from libdm's BLKRAGET
//   Tables present:    None|LIVE|INACTIVE|LIVE & INACTIVE
//   Open count:        N
//   Event number:      N
//   Major, minor:      MAJ, MIN
//   Number of targets: N
//  [UUID: UUID]
//   (blank line)
#pragma once

#include "tools/dmsetup/session.hpp"

namespace dmemu::dmsetup {

void display_info_long(Session& s, const emu::DmInfo& info);
// "Device does not exist." (and false) for a reply about a missing device.
boost::asio::awaitable<bool> display_info(Session& s, const emu::DmReply& reply);

// libdm's read-ahead failure for a device without a node.
void report_missing_node(Session& s, const emu::DmInfo& info);

}  // namespace dmemu::dmsetup
