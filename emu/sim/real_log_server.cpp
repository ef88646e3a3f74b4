// SPDX-License-Identifier: GPL-2.0-only
#include "emu/sim/real_log_server.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "emu/sim/cmirrord_process.hpp"
#include "transfer/carriers/netlink_connector_server.hpp"
#include "transfer/ulog_request.hpp"

namespace dmemu::scenario {

namespace {

namespace fs = std::filesystem;
using RealTime = std::chrono::steady_clock;

// How long virtual time waits for one request, and for a (re)start, on the real clock. cmirrord
// answers in milliseconds; its longest wait of its own is local_resume's sleep of up to 3 s
// after a postsuspend (functions.c).
constexpr auto kRequestGrace = std::chrono::seconds(10);
constexpr auto kStartGrace = std::chrono::seconds(30);

std::string make_run_dir() {
    if (const char* d = std::getenv("DMEMU_RUN_DIR"); d && *d) {
        fs::create_directories(d);
        return fs::absolute(d).string();
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/dmemu-run-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("cannot create a directory for the log server: " + pattern + ": " +
                                 std::strerror(errno));
    return pattern;
}

// The requests cmirrord has and has not answered. Two hooks: the one that notes requests is the
// last on the chain (what the transport faults and the crash trigger let through reaches the
// daemon), the one that notes replies the first (a reply the faults then delay has still been
// given).
class Outstanding {
public:
    void sent(std::uint32_t seq) { at_[seq] = RealTime::now(); }
    void answered(std::uint32_t seq) { at_.erase(seq); }
    void clear() { at_.clear(); }
    bool any() {
        const auto now = RealTime::now();
        std::erase_if(at_, [&](const auto& e) { return now - e.second > kRequestGrace; });
        return !at_.empty();
    }

private:
    std::map<std::uint32_t, RealTime::time_point> at_;
};

class Tracker final : public transfer::MessageHook {
public:
    Tracker(std::shared_ptr<Outstanding> out, transfer::Direction notes)
        : out_(std::move(out)), notes_(notes) {}
    void on_message(transfer::Direction direction, std::vector<std::byte> message,
                    Forward forward) override {
        if (direction == notes_)
            if (auto m = transfer::decode(message)) {
                if (direction == transfer::Direction::to_userspace && !m->is_bare_ack())
                    out_->sent(m->req->seq);
                else if (direction == transfer::Direction::to_kernel)
                    out_->answered(m->is_bare_ack() ? m->cn.seq : m->req->seq);
            }
        forward(std::move(message));
    }

private:
    std::shared_ptr<Outstanding> out_;
    transfer::Direction notes_;
};

class RealLogServer final : public LogServerSide {
public:
    RealLogServer(boost::asio::io_context& ctx, const std::string& variant,
                  const std::string& cmirrord_dir)
        : ctx_(ctx),
          dir_(make_run_dir()),
          connector_(ctx, dir_ + "/connector.sock"),
          cmirrord_(variant, dir_, cmirrord_dir) {
        connector_.publish_listeners(dir_ + "/connector.listeners");
        connector_.hooks().append(
            std::make_shared<Tracker>(outstanding_, transfer::Direction::to_kernel));
        // Nothing runs the loop yet: pump it here, so that the connector accepts cmirrord.
        const std::string failed = cmirrord_.start([this] {
            ctx_.restart();
            ctx_.run_one_for(std::chrono::milliseconds(20));
        });
        if (!failed.empty()) {
            power_off();  // the destructor will not run
            throw std::runtime_error(failed);
        }
    }
    ~RealLogServer() override { power_off(); }

    transfer::Carrier& kernel_carrier() override { return connector_; }
    transfer::HookChain& hooks() override { return connector_.hooks(); }
    void hooks_appended() override {
        connector_.hooks().append(
            std::make_shared<Tracker>(outstanding_, transfer::Direction::to_userspace));
    }
    logs::LogServer* engine() override { return nullptr; }
    std::string describe() const override {
        return "the real " + cmirrord_.variant() + " with corosync, on " + dir_ + "/connector.sock";
    }

    bool working() override {
        if (restarting_) {
            if (auto done = cmirrord_.finished()) {
                restarting_ = false;
                if (!done->empty()) spdlog::error("{}", *done);
            } else {
                return RealTime::now() - restart_began_ < kStartGrace;
            }
        }
        if (frozen_ || connector_.listeners() == 0) {
            outstanding_->clear();
            return false;
        }
        return outstanding_->any();
    }

    std::string crash() override {
        outstanding_->clear();
        if (!cmirrord_.signal(SIGKILL)) return cmirrord_.variant() + " was not running";
        frozen_ = false;
        return {};
    }
    std::string restart() override {
        // The old corosync and the namespace go first; the new daemon starts in the background
        // (the loop must accept its connection) and working() holds virtual time meanwhile.
        cmirrord_.stop();
        frozen_ = false;
        outstanding_->clear();
        if (std::string failed = cmirrord_.begin(); !failed.empty()) return failed;
        restarting_ = true;
        restart_began_ = RealTime::now();
        return {};
    }
    std::string freeze() override {
        if (!cmirrord_.signal(SIGSTOP)) return cmirrord_.variant() + " was not running";
        frozen_ = true;
        return {};
    }
    std::string thaw() override {
        frozen_ = false;
        if (!cmirrord_.signal(SIGCONT)) return cmirrord_.variant() + " was not running";
        return {};
    }
    // Also what a world kept after a teardown that hung gets (runner.cpp): no process and no
    // directory outlive the run.
    void power_off() override {
        cmirrord_.stop();
        std::error_code ec;
        if (!std::getenv("DMEMU_RUN_DIR")) fs::remove_all(dir_, ec);
    }

private:
    boost::asio::io_context& ctx_;
    std::string dir_;
    transfer::NetlinkConnectorServer connector_;
    CmirrordProcess cmirrord_;
    std::shared_ptr<Outstanding> outstanding_ = std::make_shared<Outstanding>();
    bool frozen_ = false;
    bool restarting_ = false;
    RealTime::time_point restart_began_{};
};

}  // namespace

std::unique_ptr<LogServerSide> make_real_log_server(boost::asio::io_context& ctx,
                                                    const std::string& variant,
                                                    const std::string& cmirrord_dir) {
    return std::make_unique<RealLogServer>(ctx, variant, cmirrord_dir);
}

}  // namespace dmemu::scenario
