/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The framing between libdmemu-preload.so (inside a program run by `dmemu exec`) and the
 * daemon's binary dm_ioctl endpoint, DIR/ioctl.sock (AF_UNIX, SOCK_STREAM, mode 0600).
 *
 * One open of /dev/mapper/control is one connection (the kernel's `struct file`: DM_DEV_ARM_POLL
 * state lives with it). Each ioctl(2) on it is one request and one reply, in order:
 *
 *   request: struct dmemu_wire_request, then `length` bytes: the caller's struct dm_ioctl buffer
 *            as the kernel's copy_params reads it (data_size bytes when 305 <= data_size <= 1 GiB,
 *            otherwise the 305-byte header alone, which the daemon then refuses as the kernel
 *            does).
 *   reply:   struct dmemu_wire_reply, then `length` bytes that the library copies over the start
 *            of the caller's buffer (what the kernel's copy_to_user writes: the 12 version bytes
 *            when the ioctl fails or is DM_VERSION, data_size bytes when it succeeds).
 *            `result` is what ioctl(2) returns: 0, or a negative errno.
 *
 * Both structs are host-endian, fixed width, 16 bytes. C so that the preload library, which is
 * C, and the daemon share this one definition.
 */
#ifndef DMEMU_IOCTL_WIRE_H
#define DMEMU_IOCTL_WIRE_H

#include <stdint.h>

#define DMEMU_WIRE_REQUEST_MAGIC 0x51444d44u /* "DMDQ" */
#define DMEMU_WIRE_REPLY_MAGIC 0x52444d44u   /* "DMDR" */
/* The largest body either side sends: the kernel's DM_MAX_TARGETS * DM_MAX_TARGET_PARAMS. */
#define DMEMU_WIRE_MAX_BODY (1048576u * 1024u)
/* struct dm_ioctl's fixed part, offsetof(struct dm_ioctl, data): the least the kernel reads. */
#define DMEMU_WIRE_DM_HEADER 305u
#define DMEMU_WIRE_SOCKET "ioctl.sock"

struct dmemu_wire_request {
    uint32_t magic;   /* DMEMU_WIRE_REQUEST_MAGIC */
    uint32_t command; /* the ioctl(2) request number, e.g. DM_DEV_STATUS */
    uint32_t length;  /* bytes of struct dm_ioctl that follow */
    uint32_t reserved;
};

struct dmemu_wire_reply {
    uint32_t magic;  /* DMEMU_WIRE_REPLY_MAGIC */
    int32_t result;  /* 0 or -errno */
    uint32_t length; /* bytes that follow, to copy over the caller's buffer */
    uint32_t reserved;
};

#ifdef __cplusplus
static_assert(sizeof(struct dmemu_wire_request) == 16, "dmemu_wire_request is 16 bytes");
static_assert(sizeof(struct dmemu_wire_reply) == 16, "dmemu_wire_reply is 16 bytes");
#endif

#endif /* DMEMU_IOCTL_WIRE_H */
