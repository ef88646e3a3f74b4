// SPDX-License-Identifier: GPL-2.0-only
// Fuzzes the log server's request handling (logs/userspace/log_server_connection.cpp and the
// engine behind it) with sequences of messages, in every match mode. The input is read as a
// little program: its first byte picks the match mode; then each step either sends raw bytes
// (malformed messages on the wire) or builds a well-framed request from a handful of uuids,
// small luids, any request type (valid or not) and a payload drawn from the input, often a
// plausible CTR string or region list, so the fuzzer reaches deep into the engine's state
// (pending/official lists, reference counts, resync work) instead of bouncing off the decoder.
// Properties, any violation aborts:
//  * the server never crashes or trips a sanitizer, whatever arrives;
//  * everything it sends back is a reply or bare ack as the kernel reads one (parse_kernel_reply:
//    the kernel matches by seq and never looks at a reply's type bits, uuid or padding, so a
//    reply that echoes a malformed request's header is still well formed);
//  * a reply answers the request just sent: same seq, and data only when error is 0.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "logs/userspace/log_server_connection.hpp"
#include "transfer/cn_msg.hpp"
#include "transfer/kernel_reply.hpp"
#include "transfer/ulog_payloads.hpp"
#include "transfer/ulog_request.hpp"

namespace {

namespace tr = dmemu::transfer;
using dmemu::logs::InProcessLogServer;
using dmemu::logs::LogServerOptions;
using dmemu::logs::MatchMode;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "log_server_fuzz: %s\n", what);
    std::abort();
}

// Consumes the input front to back; returns zeros once it runs out.
class Input {
public:
    explicit Input(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
    bool empty() const { return pos_ >= bytes_.size(); }
    std::uint8_t byte() { return empty() ? 0 : bytes_[pos_++]; }
    std::uint64_t number(int nbytes) {
        std::uint64_t v = 0;
        for (int i = 0; i < nbytes; ++i) v = (v << 8) | byte();
        return v;
    }
    std::vector<std::byte> take(std::size_t n) {
        std::vector<std::byte> out;
        while (n-- > 0 && !empty()) out.push_back(static_cast<std::byte>(byte()));
        return out;
    }

private:
    std::span<const std::uint8_t> bytes_;
    std::size_t pos_ = 0;
};

std::vector<std::byte> bytes_of(const std::string& s) {
    const auto v = tr::as_bytes(s);
    return {v.begin(), v.end()};
}

// A CTR payload as the kernel builds it: "<len> clustered-core|clustered-disk ..." with a NUL.
std::vector<std::byte> ctr_payload(Input& in) {
    static const char* const kRegion[] = {"1024", "8", "0", "3", "4096", "x"};
    static const char* const kTail[] = {"", " sync", " nosync", " block_on_error", " nosync sync"};
    const std::uint64_t len = in.number(2) * 8;
    std::string text = std::to_string(len);
    if (in.byte() & 1)
        text += " clustered-disk 254:" + std::to_string(in.byte() % 4);
    else
        text += " clustered-core";
    text += std::string(" ") + kRegion[in.byte() % 6] + kTail[in.byte() % 5];
    auto out = bytes_of(text);
    if (in.byte() % 8 != 0) out.push_back(std::byte{0});
    return out;
}

std::vector<std::byte> region_list(Input& in) {
    std::vector<std::byte> out;
    const int n = in.byte() % 5;
    for (int i = 0; i < n; ++i) {
        const std::uint64_t r = in.number(1);
        for (int b = 0; b < 8; ++b) out.push_back(static_cast<std::byte>((r >> (8 * b)) & 0xff));
    }
    return out;
}

// The payload for one request: the kind its type expects most of the time, else raw bytes.
std::vector<std::byte> payload_for(std::uint32_t type, Input& in) {
    const std::uint8_t shape = in.byte();
    if (shape % 7 == 0) return in.take(in.byte() % 40);  // anything
    switch (type) {
        case 1:
            return ctr_payload(in);
        case 7:
        case 8:
        case 10:
        case 11:
        case 16: {
            auto one = region_list(in);
            if (type == 10 || type == 11) return one;
            one.resize(8);
            return one;
        }
        case 13: {
            auto two = region_list(in);
            two.resize(16);
            return two;
        }
        default:
            return {};
    }
}

void run_one(Input& in) {
    static const char* const kUuids[] = {"LVM-testuuid", "LVM-otheruuid", "u"};
    static const MatchMode kModes[] = {MatchMode::uuid_luid, MatchMode::uuid,
                                       MatchMode::uuid_first};
    LogServerOptions options;
    options.match = kModes[in.byte() % 3];

    boost::asio::io_context ctx;
    InProcessLogServer server(ctx, options);
    tr::Carrier& kernel = server.kernel_carrier();
    std::vector<std::vector<std::byte>> replies;
    kernel.set_receiver([&](std::vector<std::byte> m) { replies.push_back(std::move(m)); });

    std::uint32_t seq = 0;
    for (int step = 0; step < 64 && !in.empty(); ++step) {
        const std::uint8_t op = in.byte();
        std::optional<std::uint32_t> sent_seq;
        if (op % 11 == 0) {
            auto raw = in.take(in.byte());  // raw bytes: malformed on purpose
            // Enough bytes for a request header: the server may answer it, by the seq it holds.
            if (raw.size() >= sizeof(tr::CnMsg) + sizeof(tr::DmUlogRequest)) {
                std::uint32_t raw_seq;
                std::memcpy(&raw_seq,
                            raw.data() + sizeof(tr::CnMsg) + offsetof(tr::DmUlogRequest, seq),
                            sizeof(raw_seq));
                sent_seq = raw_seq;
            }
            (void)kernel.send(std::move(raw));
        } else {
            std::uint32_t type = op % 19;        // 0 and 18: not a request type
            if (op & 0x80) type |= 0x80000000u;  // flag bits: DM_ULOG_REQUEST_TYPE masks them off
            const auto& uuid = kUuids[in.byte() % 3];
            const std::uint64_t luid = in.byte() % 4;
            const auto payload = payload_for(type & 0xff, in);
            const auto request_type = tr::request_type_from_wire(type & 0xff);
            tr::UlogMessage m = tr::make_request(
                uuid, luid, request_type.value_or(tr::UlogRequestType::ctr), ++seq, payload);
            if (!request_type || type != (type & 0xff)) {
                // make_request only takes valid types: put the raw one (unknown, or with flag
                // bits set) on the wire instead.
                auto wire = tr::encode(m);
                const std::size_t type_offset =
                    sizeof(tr::CnMsg) + offsetof(tr::DmUlogRequest, request_type);
                for (int b = 0; b < 4; ++b)
                    wire[type_offset + b] = static_cast<std::byte>((type >> (8 * b)) & 0xff);
                (void)kernel.send(std::move(wire));
            } else {
                (void)kernel.send(tr::encode(m));
            }
            sent_seq = seq;  // well framed either way: the server may answer it, by this seq
        }
        replies.clear();
        ctx.restart();
        ctx.run();
        for (const auto& r : replies) {
            auto reply = tr::parse_kernel_reply(r);
            if (!reply) fail("the server sent a message the kernel cannot read");
            if (reply->bare_ack) {
                if (sent_seq && reply->cn_seq != *sent_seq) fail("bare ack for another seq");
                continue;
            }
            if (!sent_seq) fail("a reply to a message that was not a request");
            if (reply->seq != *sent_seq) fail("reply seq differs from the request's");
            if (reply->error != 0 && !reply->data.empty()) fail("data with an error");
        }
    }
}

}  // namespace

// The server logs every malformed request it drops; at fuzzing rates that is noise.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in({data, size});
    run_one(in);
    return 0;
}
