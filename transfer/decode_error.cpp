// SPDX-License-Identifier: GPL-2.0-only
#include "transfer/decode_error.hpp"

namespace dmemu::transfer {

std::string_view to_string(DecodeErrc code) {
    switch (code) {
        case DecodeErrc::short_message:
            return "short_message";
        case DecodeErrc::trailing_bytes:
            return "trailing_bytes";
        case DecodeErrc::oversized:
            return "oversized";
        case DecodeErrc::foreign_id:
            return "foreign_id";
        case DecodeErrc::incomplete:
            return "incomplete";
        case DecodeErrc::size_mismatch:
            return "size_mismatch";
        case DecodeErrc::uuid_unterminated:
            return "uuid_unterminated";
        case DecodeErrc::uuid_not_zero_filled:
            return "uuid_not_zero_filled";
        case DecodeErrc::padding_not_zero:
            return "padding_not_zero";
        case DecodeErrc::reserved_type_bits:
            return "reserved_type_bits";
        case DecodeErrc::unknown_request_type:
            return "unknown_request_type";
        case DecodeErrc::payload_size:
            return "payload_size";
        case DecodeErrc::payload_text:
            return "payload_text";
    }
    return "unknown";
}

}  // namespace dmemu::transfer
