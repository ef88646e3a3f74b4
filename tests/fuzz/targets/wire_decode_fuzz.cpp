// SPDX-License-Identifier: GPL-2.0-only
// Fuzzes the ulog wire decoders (transfer/ulog_request.hpp, ulog_payloads.hpp, kernel_reply.hpp)
// with arbitrary bytes. Properties, any violation aborts:
//  * decode() is total (a value or an error, never UB: the sanitizers watch);
//  * decode() success implies encode(decoded) reproduces the input byte for byte;
//  * a payload that decodes for its type re-encodes to the same bytes, as request and as reply;
//  * parse_kernel_reply() accepts everything decode() accepts, with the same seq and data.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <variant>

#include "transfer/kernel_reply.hpp"
#include "transfer/ulog_payloads.hpp"
#include "transfer/ulog_request.hpp"

namespace {

using namespace dmemu::transfer;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "wire_decode_fuzz: %s\n", what);
    std::abort();
}

template <typename Payload>
void check_payload_round_trip(const Result<Payload, DecodeError>& decoded, ByteView bytes) {
    if (!decoded) return;
    const Bytes again = encode_payload(*decoded);
    if (!std::equal(again.begin(), again.end(), bytes.begin(), bytes.end()))
        fail("payload round trip differs");
}

void check_message(ByteView input) {
    auto decoded = decode(input);
    auto kernel = parse_kernel_reply(input);
    if (!decoded) return;

    const Bytes again = encode(*decoded);
    if (!std::equal(again.begin(), again.end(), input.begin(), input.end()))
        fail("message round trip differs");

    if (!kernel) fail("kernel parse refused a message decode() accepts");
    if (decoded->is_bare_ack() != kernel->bare_ack) fail("bare ack disagreement");
    if (decoded->is_bare_ack()) return;
    if (kernel->seq != decoded->req->seq) fail("seq disagreement");
    if (!std::equal(kernel->data.begin(), kernel->data.end(), decoded->payload.begin(),
                    decoded->payload.end()))
        fail("data disagreement");

    const ByteView payload = decoded->payload;
    check_payload_round_trip(decode_request_payload(decoded->req->type, payload), payload);
    check_payload_round_trip(decode_reply_payload(decoded->req->type, payload), payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(reinterpret_cast<const std::byte*>(data), size);
    check_message(input);
    // The payload decoders alone, on the raw input, for every type.
    for (std::uint32_t v = kFirstRequestType; v <= kLastRequestType; ++v) {
        const auto type = static_cast<UlogRequestType>(v);
        check_payload_round_trip(decode_request_payload(type, input), input);
        check_payload_round_trip(decode_reply_payload(type, input), input);
    }
    return 0;
}
