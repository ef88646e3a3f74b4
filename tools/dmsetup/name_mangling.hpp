// SPDX-License-Identifier: GPL-2.0-only
// libdm's name and uuid mangling (libdm-common.c mangle_string, unmangle_string,
// check_multiple_mangled_string_allowed): characters outside udev's whitelist
// [0-9A-Za-z#+-.:=@_] travel to the kernel as "\xNN". The mode comes from --manglename
// (none|auto|hex); dmsetup 1.02.185 as Debian builds it defaults to auto.
//
//   none  names go to the kernel as typed and come back as the kernel has them
//   auto  a name is mangled unless it is mangled already (a mix of both is an error); names in
//         replies are unmangled, and one that holds a blacklisted character fails the ioctl
//   hex   every blacklisted character is mangled, "\x" included
//
// The errors are libdm's lines, appended to *err; the callers add the "Failed to mangle ..."
// line that names the operation, as libdm's callers do.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace dmemu::dmsetup {

enum class Mangling { none, automatic, hex };

inline constexpr std::size_t kDmNameLen = 128;  // DM_NAME_LEN: buffer size with the NUL
inline constexpr std::size_t kDmUuidLen = 129;  // DM_UUID_LEN

// "none", "auto", "hex" (any case), as dmsetup's --manglename takes them.
std::optional<Mangling> parse_mangling(std::string_view word);

// check_multiple_mangled_string_allowed: in auto mode a string holding "\x5cx" (a mangled
// backslash before an x) was mangled twice. what: "name", "UUID", "new name", ...
bool multiple_mangling_allowed(std::string_view str, std::string_view what, Mangling mode,
                               std::string* err);

struct MangleResult {
    bool ok = true;
    bool changed = false;  // out differs from the input
    std::string out;       // the string to use (the input when unchanged)
};

// mangle_string into a buffer of buf_len bytes (DM_NAME_LEN or DM_UUID_LEN), NUL included.
// Mode none mangles as auto does: libdm's mangle_string itself never leaves a string raw.
MangleResult mangle_string(std::string_view str, std::string_view what, std::size_t buf_len,
                           Mangling mode, std::string* err);

// unmangle_string. Strict (a blacklisted character is an error) unless mode is none.
MangleResult unmangle_string(std::string_view str, std::string_view what, Mangling mode,
                             std::string* err);

// _do_dm_ioctl_unmangle_string: what libdm does to a name or uuid in an ioctl reply. False
// fails the whole ioctl (libdm returns no reply).
bool unmangle_reply_string(std::string& str, std::string_view what, Mangling mode,
                           std::string* err);

}  // namespace dmemu::dmsetup
