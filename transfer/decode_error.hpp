// SPDX-License-Identifier: GPL-2.0-only
// Why a byte string is not a valid ulog message or payload: a code tests switch on, and a
// message that names the field and quotes the bad value ("ulog: data_size 9000 exceeds ...").
#pragma once

#include <string>
#include <string_view>

namespace dmemu::transfer {

enum class DecodeErrc {
    short_message,         // fewer than 20 bytes, or cn_msg.len promises more than is present
    trailing_bytes,        // more bytes present than cn_msg.len accounts for
    oversized,             // cn_msg + len above CONNECTOR_MAX_MSG_SIZE
    foreign_id,            // cn_msg.id is not {CN_IDX_DM, CN_VAL_DM_USERSPACE_LOG}
    incomplete,            // 0 < cn_msg.len < sizeof(dm_ulog_request)
    size_mismatch,         // cn_msg.len != sizeof(dm_ulog_request) + data_size
    uuid_unterminated,     // no NUL in uuid[DM_UUID_LEN]
    uuid_not_zero_filled,  // bytes after the uuid's NUL are not all zero
    padding_not_zero,      // dm_ulog_request.padding[3]
    reserved_type_bits,    // request_type bits above DM_ULOG_REQUEST_MASK
    unknown_request_type,  // request_type (masked) not in 1..17
    payload_size,          // a payload of the wrong length for its request type
    payload_text,          // a text payload: missing/embedded NUL, empty, too long
};

std::string_view to_string(DecodeErrc code);

struct DecodeError {
    DecodeErrc code;
    std::string message;  // "ulog: ...", lower case, no trailing period

    bool operator==(const DecodeError&) const = default;
};

}  // namespace dmemu::transfer
