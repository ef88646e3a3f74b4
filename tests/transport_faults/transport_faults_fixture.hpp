// SPDX-License-Identifier: GPL-2.0-only
// Shared by the transport-fault suites: one kernel side (KernelEndpoint through a
// CuttableCarrier) and one in-process log server, on a virtual clock, with TransportFaults on
// the link's hooks and every firing recorded. A World is built per run, so a test can run the
// same traffic twice from the same seed.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "tests/transfer/transfer_test_support.hpp"
#include "transfer/faults/cuttable_carrier.hpp"
#include "transfer/faults/transport_faults.hpp"
#include "transfer/kernel_endpoint.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::transfer::faults_test {

using namespace std::chrono_literals;

inline constexpr const char* kUuid = "LVM-testuuid";  // the kernel prints "[testuuid]"
inline constexpr std::uint64_t kLuid = 0x1000;
inline constexpr const char* kOtherUuid = "LVM-otheruuid";
inline constexpr std::uint64_t kOtherLuid = 0x2000;
inline constexpr const char* kPrefix = "device-mapper: dm-log-userspace: ";

using Slot = std::shared_ptr<std::optional<ConsultResult>>;

struct World {
    explicit World(std::uint64_t seed = 1, KernelEndpointOptions options = {})
        : endpoint(clock, klog, cuttable, options),
          rng(seed),
          faults("ulog", server.link().hooks(), clock, rng, &cuttable) {
        klog.set_echo(false);
        faults.subscribe([this](const TransportFaultEvent& e) {
            events.push_back(e);
            trace.push_back(to_string(e));
        });
    }

    TransportFaultId add(std::string_view spec) {
        std::string error;
        const auto id = faults.add(spec, &error);
        EXPECT_TRUE(id) << spec << ": " << error;
        return id.value_or(0);
    }

    Slot start(UlogRequestType type, test::Bytes data = {}, std::size_t capacity = 0,
               std::string uuid = kUuid, std::uint64_t luid = kLuid) {
        return test::spawn_consult(ctx, endpoint, std::move(uuid), luid, type, std::move(data),
                                   capacity);
    }
    // Runs one consult to the end (virtual time jumps over timeouts).
    ConsultResult consult(UlogRequestType type, test::Bytes data = {}, std::size_t capacity = 0,
                          std::string uuid = kUuid, std::uint64_t luid = kLuid) {
        auto slot = start(type, std::move(data), capacity, std::move(uuid), luid);
        clock.run_until_idle();
        EXPECT_TRUE(*slot) << "consult did not finish";
        return slot->value_or(ConsultResult{-1, {}});
    }
    std::uint64_t region_size(std::string uuid = kUuid, std::uint64_t luid = kLuid) {
        const auto r = consult(UlogRequestType::get_region_size, {}, 8, std::move(uuid), luid);
        EXPECT_EQ(r.error, 0);
        const auto size = decode_region_size(r.data);
        return size ? size->sectors : 0;
    }
    // A clustered-core log, constructed and resumed (official: every request type works).
    void create_log(std::string uuid = kUuid, std::uint64_t luid = kLuid,
                    std::uint64_t region = 1024) {
        const std::string ctr = "65536 clustered-core " + std::to_string(region);
        EXPECT_EQ(consult(UlogRequestType::ctr, test::bytes_of(ctr), DM_NAME_LEN, uuid, luid).error,
                  0);
        EXPECT_EQ(consult(UlogRequestType::resume, {}, 0, uuid, luid).error, 0);
    }

    std::vector<std::string> kernel_lines(std::uint64_t after = 0) const {
        std::vector<std::string> out;
        for (const auto& l : klog.since(after)) out.push_back(l.text);
        return out;
    }
    // Seqs of the requests of this type the server engine handled, in order.
    std::vector<std::uint32_t> server_seqs(UlogRequestType type) const {
        std::vector<std::uint32_t> out;
        for (const auto& e : server.engine().events())
            if (e.type == type) out.push_back(e.seq);
        return out;
    }
    std::vector<std::string> event_whats() const {
        std::vector<std::string> out;
        for (const auto& e : events) out.push_back(e.what);
        return out;
    }
    emu::Duration now() const { return clock.now().time_since_epoch(); }

    boost::asio::io_context ctx;
    emu::VirtualClock clock{ctx};
    emu::KernelLog klog;
    logs::InProcessLogServer server{ctx};
    CuttableCarrier cuttable{server.kernel_carrier()};
    KernelEndpoint endpoint;
    emu::Rng rng;
    TransportFaults faults;
    std::vector<TransportFaultEvent> events;
    std::vector<std::string> trace;
};

// One official log, then one fault; `seq` is the seq the next consult takes.
struct FaultedWorld : World {
    explicit FaultedWorld(std::string_view spec, std::uint64_t seed = 1) : World(seed) {
        create_log();
        add(spec);
        seq = endpoint.next_seq();
    }
    std::uint32_t seq = 0;
};

inline std::string timed_out(std::uint32_t type, std::uint32_t seq) {
    return std::string(kPrefix) + "[testuuid] Request timed out: [" + std::to_string(type) + "/" +
           std::to_string(seq) + "] - retrying";
}

}  // namespace dmemu::transfer::faults_test
