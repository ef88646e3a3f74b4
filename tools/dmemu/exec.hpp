// SPDX-License-Identifier: GPL-2.0-only
// `dmemu exec DIR [--] CMD [ARGS...]`: runs CMD with libdmemu-preload.so preloaded, so that it
// sees the device namespace of the daemon serving DIR (/dev/mapper, /dev/dm-N, the disks under
// /dev, /proc/devices, their /sys entries, and /dev/mapper/control talking to DIR/ioctl.sock):
// the real dmsetup, dd, mkfs.ext4, stat and ls, as an ordinary user. tools/preload/preload.h
// says what the library does. DM_DEV_DIR is removed from CMD's environment: libdevmapper keeps
// its default /dev, which is what the library maps into DIR.
//
// Exit codes: CMD's own; 1 when no daemon serves DIR or the library is missing; 126 and 127 as
// a shell's (CMD not executable, not found). main() creates one ExecCommand before parsing and
// asks it afterwards whether `exec` was chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace dmemu::exec {

class ExecCommand {
public:
    explicit ExecCommand(CLI::App& app);
    // Does not return when `exec` was chosen and CMD started; the exit status otherwise.
    std::optional<int> run_if_selected();

private:
    int run();

    CLI::App* exec_ = nullptr;
};

}  // namespace dmemu::exec
