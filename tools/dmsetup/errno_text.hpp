// SPDX-License-Identifier: GPL-2.0-only
// strerror() as glibc words it in the C locale, fixed here so dmsetup's output does not depend
// on the locale or the C library the emulator runs on. Unknown values read "Unknown error N".
#pragma once

#include <string>

namespace dmemu::dmsetup {

// errnum may be given positive (EINVAL) or as the ioctl returns it (-EINVAL).
std::string errno_text(int errnum);

}  // namespace dmemu::dmsetup
