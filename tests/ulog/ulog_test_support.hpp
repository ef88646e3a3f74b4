// SPDX-License-Identifier: GPL-2.0-only
// Shared by the ulog suites: a table environment for one log, the in-process server and kernel
// endpoint on a virtual clock, a runner for coroutines, and the oracle's .seq files.
#pragma once

// clang-format off
#include <utility>  // before asio: boost 1.74's awaitable.hpp uses std::exchange unincluded
// clang-format on

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "emu/core/target.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/rng.hpp"
#include "logs/userspace/log_server_connection.hpp"
#include "logs/userspace/userspace_log.hpp"
#include "tests/ulog/oracle_seq.hpp"
#include "transfer/kernel_endpoint.hpp"

namespace dmemu::logs::test {

class FakeEnv final : public emu::TableEnvironment {
public:
    FakeEnv(boost::asio::io_context& ctx, emu::Clock& clock, emu::Rng& rng, emu::KernelLog& klog,
            transfer::KernelEndpoint* endpoint)
        : ctx_(ctx), clock_(clock), rng_(rng), klog_(klog), endpoint_(endpoint) {}
    std::shared_ptr<emu::DeviceRef> get_device(std::string_view path, int* err) override {
        requested_devices.emplace_back(path);
        *err = -ENODEV;
        return nullptr;
    }
    boost::asio::io_context& context() override { return ctx_; }
    emu::Clock& clock() override { return clock_; }
    emu::Rng& rng() override { return rng_; }
    emu::KernelLog& kernel_log() override { return klog_; }
    std::string device_name() const override { return "254:0"; }
    void table_event() override { ++events; }
    bool read_only() const override { return false; }
    const std::vector<std::shared_ptr<emu::DeviceRef>>& devices() const override { return devs_; }
    transfer::KernelEndpoint* ulog_endpoint() override { return endpoint_; }
    emu::ModuleStates& module_states() override { return modules_; }
    void set_endpoint(transfer::KernelEndpoint* e) { endpoint_ = e; }

    int events = 0;
    std::vector<std::string> requested_devices;

private:
    boost::asio::io_context& ctx_;
    emu::Clock& clock_;
    emu::Rng& rng_;
    emu::KernelLog& klog_;
    transfer::KernelEndpoint* endpoint_;
    std::vector<std::shared_ptr<emu::DeviceRef>> devs_;
    emu::ModuleStates modules_;
};

// One kernel (endpoint + table environment) and one in-process server, on a virtual clock.
class UlogFixture : public ::testing::Test {
protected:
    explicit UlogFixture(LogServerOptions options = {}, bool start_server = true)
        : clock_(ctx_),
          rng_(1),
          server_(ctx_, options, start_server),
          endpoint_(clock_, klog_, server_.kernel_carrier()),
          env_(ctx_, clock_, rng_, klog_, &endpoint_) {
        klog_.set_echo(false);
    }

    template <typename T>
    T run(boost::asio::awaitable<T> aw) {
        std::optional<T> out;
        boost::asio::co_spawn(
            ctx_, [&]() -> boost::asio::awaitable<void> { out = co_await std::move(aw); },
            boost::asio::detached);
        clock_.run_until_idle();
        EXPECT_TRUE(out.has_value()) << "coroutine did not finish";
        return out ? std::move(*out) : T{};
    }
    void run_void(boost::asio::awaitable<void> aw) {
        bool done = false;
        boost::asio::co_spawn(
            ctx_,
            [&]() -> boost::asio::awaitable<void> {
                co_await std::move(aw);
                done = true;
            },
            boost::asio::detached);
        clock_.run_until_idle();
        EXPECT_TRUE(done) << "coroutine did not finish";
    }

    // userspace_ctr with the table's log args after "userspace <argc>".
    DirtyLogCtrResult make_log(std::vector<std::string> args, emu::Sector len = 65536) {
        emu::TargetContext ti{env_};
        ti.len = len;
        return run(userspace_log_type.ctr(ti, std::move(args)));
    }
    std::unique_ptr<DirtyLog> must_make(std::vector<std::string> args, emu::Sector len = 65536) {
        auto r = make_log(std::move(args), len);
        EXPECT_EQ(r.error, 0);
        return std::move(r.log);
    }
    void destroy(std::unique_ptr<DirtyLog>& log) {
        run_void(log->dtr());
        log.reset();
    }

    std::vector<std::string> kernel_lines() const {
        std::vector<std::string> out;
        for (const auto& l : klog_.since(0)) out.push_back(l.text);
        return out;
    }

    // The server's view as the oracle writes it: "TYPE Ln", logs numbered by first appearance.
    std::vector<std::string> seen() const {
        std::map<std::uint64_t, int> names;
        std::vector<std::string> out;
        for (const auto& e : server_.engine().events()) {
            auto [it, fresh] = names.try_emplace(e.luid, static_cast<int>(names.size()) + 1);
            out.push_back(std::string(transfer::short_name(e.type)) + " L" +
                          std::to_string(it->second));
        }
        return out;
    }
    LogServer& engine() { return server_.engine(); }

    boost::asio::io_context ctx_;
    emu::VirtualClock clock_;
    emu::Rng rng_;
    emu::KernelLog klog_;
    InProcessLogServer server_;
    transfer::KernelEndpoint endpoint_;
    FakeEnv env_;
};

// "TYPE Ln" per REQ line of an oracle .seq file.
inline std::vector<std::string> oracle_sequence(const std::string& name) {
    std::ifstream in(std::string(ULOG_ORACLE_DIR) + "/" + name + ".seq");
    EXPECT_TRUE(in.good()) << name;
    return oracle::parse_oracle_seq(in).requests;
}

}  // namespace dmemu::logs::test
