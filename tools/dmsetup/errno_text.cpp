// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/errno_text.hpp"

#include <array>
#include <cerrno>
#include <utility>

namespace dmemu::dmsetup {

namespace {

// glibc 2.36 sys_errlist, C locale.
constexpr std::array<std::pair<int, const char*>, 40> kTexts{{
    {EPERM, "Operation not permitted"},
    {ENOENT, "No such file or directory"},
    {ESRCH, "No such process"},
    {EINTR, "Interrupted system call"},
    {EIO, "Input/output error"},
    {ENXIO, "No such device or address"},
    {E2BIG, "Argument list too long"},
    {EBADF, "Bad file descriptor"},
    {EAGAIN, "Resource temporarily unavailable"},
    {ENOMEM, "Cannot allocate memory"},
    {EACCES, "Permission denied"},
    {EFAULT, "Bad address"},
    {ENOTBLK, "Block device required"},
    {EBUSY, "Device or resource busy"},
    {EEXIST, "File exists"},
    {ENODEV, "No such device"},
    {ENOTDIR, "Not a directory"},
    {EISDIR, "Is a directory"},
    {EINVAL, "Invalid argument"},
    {ENFILE, "Too many open files in system"},
    {EMFILE, "Too many open files"},
    {ENOTTY, "Inappropriate ioctl for device"},
    {EFBIG, "File too large"},
    {ENOSPC, "No space left on device"},
    {ESPIPE, "Illegal seek"},
    {EROFS, "Read-only file system"},
    {EPIPE, "Broken pipe"},
    {ERANGE, "Numerical result out of range"},
    {EDEADLK, "Resource deadlock avoided"},
    {ENAMETOOLONG, "File name too long"},
    {ENOSYS, "Function not implemented"},
    {ENODATA, "No data available"},
    {ETIME, "Timer expired"},
    {EPROTO, "Protocol error"},
    {EOPNOTSUPP, "Operation not supported"},
    {ECONNRESET, "Connection reset by peer"},
    {ECONNREFUSED, "Connection refused"},
    {ETIMEDOUT, "Connection timed out"},
    {EILSEQ, "Invalid or incomplete multibyte or wide character"},
    {ENOTCONN, "Transport endpoint is not connected"},
}};

}  // namespace

std::string errno_text(int errnum) {
    if (errnum < 0) errnum = -errnum;
    for (const auto& [value, text] : kTexts)
        if (value == errnum) return text;
    return "Unknown error " + std::to_string(errnum);
}

}  // namespace dmemu::dmsetup
