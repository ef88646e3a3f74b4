// SPDX-License-Identifier: GPL-2.0-only
// The userspace dirty log, as drivers/md/dm-log-userspace-base.c (DM_LOG_USERSPACE_VSN 1.3.0):
// a DirtyLog whose every decision is a dm_ulog_request to a log server (cmirrord, dmemu-ulogd,
// the in-process LogServer), sent through the table's KernelEndpoint.
//
// Table grammar (the log part of a mirror line, args after "userspace <argc>"):
//   <uuid> [integrated_flush] <impl-type> <impl-args...>       argc >= 3, uuid <= 128 chars
// CTR string sent to the server: "<ti.len> <impl-type> <impl-args...>" (uuid and
// integrated_flush stripped), without its NUL; the -ESRCH reconnect path resends it WITH the NUL.
// Status TABLE (built here, no request): "userspace <argc> <uuid> [integrated_flush ]<impl-type>
// <impl-args...> " (trailing space). Status INFO: the server's STATUS_INFO text verbatim, or
// "userspace 1 COM_FAILURE" when the request fails.
//
// Contract kept from the kernel, request by request:
//  * ctr: CTR (reply: optional NUL-terminated device name, dm_get_device'd), then
//    GET_REGION_SIZE. No DTR is sent when ctr fails after CTR succeeded.
//  * dtr/presuspend/postsuspend/resume/ctr call the endpoint directly: -ESRCH is returned as is.
//    Every other request goes through userspace_do_request: on -ESRCH it logs
//    " Userspace log server not found.", then every 2 s (the Clock) "Attempting to contact
//    userspace log server..." and a CTR with NUL; once that succeeds "Reconnected to userspace
//    log server... DM_ULOG_CTR complete", RESUME, and the original request again.
//  * mark/clear are queued newest-first and sent at flush: clears first, in groups of up to 32,
//    then marks (groups, then one payload-less FLUSH; or with integrated_flush the marks ride on
//    FLUSH, and a clear-only flush schedules a FLUSH 3 s later). A failed group is resent one
//    region per request (flush_one_by_one). Nothing queued: no request at all.
//  * in_sync with can_block false: -EWOULDBLOCK, no request. get_resync_work: nothing asked
//    once in_sync_hint >= region_count. is_remote_recovering: 0 below in_sync_hint, 1 within
//    250 ms of the last request of ANY log of the same kernel (a function-static limit there,
//    kept per DeviceMapper here: emu/core/module_states.hpp).
// Kernel lines carry the prefix "dm-log-userspace". When the table has no endpoint at all, the
// log behaves as the kernel with nobody listening (cn_netlink_send's -ESRCH).
#include "logs/userspace/userspace_log.hpp"

#include <strings.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>
#include <set>

#include "emu/core/device_ref.hpp"
#include "emu/util/clock.hpp"
#include "emu/util/kernel_log.hpp"
#include "transfer/kernel_endpoint.hpp"
#include "transfer/ulog_payloads.hpp"

namespace dmemu::logs {

namespace {

using transfer::UlogRequestType;
using Bytes = std::vector<std::byte>;
constexpr std::string_view kPrefix = transfer::kUlogMsgPrefix;
constexpr std::size_t kMaxFlushGroupCount = 32;  // MAX_FLUSH_GROUP_COUNT
constexpr auto kReconnectPause = std::chrono::seconds(2);
constexpr auto kIntegratedFlushDelay = std::chrono::seconds(3);
constexpr auto kRemoteRecoveringLimit = std::chrono::milliseconds(250);  // HZ / 4
// What dm-raid1's status buffer leaves for the log's INFO text; far above any server's reply.
constexpr std::size_t kStatusInfoCapacity = 4096;

// dm-log-userspace's module statics, one per emulated kernel (emu/core/module_states.hpp).
struct UserspaceLogModule {
    // luid: unique among live logs, never 0 (the kernel uses the context's address).
    std::set<std::uint64_t> live_luids;
    std::uint64_t next_luid = 0;
    // userspace_is_remote_recovering's `static unsigned long limit`, shared by every log (HZ/4).
    std::optional<emu::TimePoint> remote_recovering_limit;

    std::uint64_t allocate_luid() {
        for (;;) {
            if (++next_luid == 0) next_luid = 1;
            if (live_luids.insert(next_luid).second) return next_luid;
        }
    }
};

Bytes u64_bytes(std::uint64_t v) {
    Bytes out(8);
    std::memcpy(out.data(), &v, 8);
    return out;
}
Bytes u64s_bytes(const std::vector<std::uint64_t>& vs) {
    Bytes out(vs.size() * 8);
    if (!vs.empty()) std::memcpy(out.data(), vs.data(), out.size());
    return out;
}
// The kernel reads its reply buffer whatever came back; a short reply reads as zero here.
std::uint64_t read_u64(const Bytes& data, std::size_t offset) {
    std::uint64_t v = 0;
    if (data.size() >= offset + 8) std::memcpy(&v, data.data() + offset, 8);
    return v;
}

struct FlushEntry {
    UlogRequestType type;
    Region region;
};

struct UserspaceLogState {
    emu::TableEnvironment* env = nullptr;
    std::shared_ptr<UserspaceLogModule> module;
    transfer::KernelEndpoint* endpoint = nullptr;
    std::shared_ptr<emu::DeviceRef> log_dev;
    std::string usr_argv_str;  // lc->usr_argv_str: "<len> <impl-type> <impl-args...>"
    std::uint32_t usr_argc = 0;
    std::uint32_t region_size = 0;
    Region region_count = 0;
    std::uint64_t luid = 0;
    std::string uuid;
    std::deque<FlushEntry> mark_list;   // newest first (list_add)
    std::deque<FlushEntry> clear_list;  // newest first
    std::uint64_t in_sync_hint = 0;
    bool integrated_flush = false;
    bool sched_flush = false;
    emu::TimerId flush_timer = 0;

    ~UserspaceLogState() {
        if (flush_timer != 0) env->clock().cancel(flush_timer);
        if (luid != 0) module->live_luids.erase(luid);
    }
};
using StatePtr = std::shared_ptr<UserspaceLogState>;

// dm_consult_userspace; with no endpoint configured, what cn_netlink_send does with no listener.
asio::awaitable<transfer::ConsultResult> consult(const StatePtr& st, UlogRequestType type,
                                                 std::span<const std::byte> data,
                                                 std::size_t reply_capacity) {
    if (st->endpoint == nullptr) {
        st->env->kernel_log().err(kPrefix, "Unable to send log request [{}] to userspace: {}",
                                  static_cast<unsigned>(type), -ESRCH);
        co_return transfer::ConsultResult{-ESRCH, {}};
    }
    auto r = co_await st->endpoint->consult(st->uuid, st->luid, type, data, reply_capacity);
    co_return r;
}

// userspace_do_request: the -ESRCH reconnect loop.
asio::awaitable<transfer::ConsultResult> userspace_do_request(StatePtr st, UlogRequestType type,
                                                              Bytes data,
                                                              std::size_t reply_capacity) {
    auto& klog = st->env->kernel_log();
    for (;;) {
        auto r = co_await consult(st, type, data, reply_capacity);
        if (r.error != -ESRCH) co_return r;

        klog.err(kPrefix, " Userspace log server not found.");
        emu::Sleep pause(st->env->clock());
        std::string ctr_with_nul = st->usr_argv_str;
        ctr_with_nul.push_back('\0');
        for (;;) {
            co_await pause.for_(kReconnectPause);
            klog.warn(kPrefix, "Attempting to contact userspace log server...");
            auto c =
                co_await consult(st, UlogRequestType::ctr, transfer::as_bytes(ctr_with_nul), 0);
            if (c.error == 0) break;
        }
        klog.info(kPrefix, "Reconnected to userspace log server... DM_ULOG_CTR complete");
        auto res = co_await consult(st, UlogRequestType::resume, {}, 0);
        if (res.error != 0) {
            klog.err(kPrefix, "Error trying to resume userspace log: {}", res.error);
            co_return transfer::ConsultResult{-ESRCH, {}};
        }
    }
}

// do_flush: the delayed payload-less FLUSH of integrated_flush.
asio::awaitable<void> do_flush(StatePtr st) {
    st->sched_flush = false;
    st->flush_timer = 0;
    auto r = co_await userspace_do_request(st, UlogRequestType::flush, {}, 0);
    if (r.error != 0) st->env->table_event();
}

// flush_delayed_work: run a scheduled integrated flush now.
asio::awaitable<void> run_pending_flush(StatePtr st) {
    if (!st->integrated_flush || !st->sched_flush) co_return;
    if (st->flush_timer != 0) st->env->clock().cancel(st->flush_timer);
    co_await do_flush(st);
}

asio::awaitable<int> flush_one_by_one(StatePtr st, std::deque<FlushEntry> list) {
    int r = 0;
    for (const auto& fe : list) {
        auto res = co_await userspace_do_request(st, fe.type, u64_bytes(fe.region), 0);
        r = res.error;
        if (r != 0) break;
    }
    co_return r;
}

asio::awaitable<int> flush_by_group(StatePtr st, std::deque<FlushEntry> list,
                                    bool flush_with_payload) {
    // tmp_list of the kernel: every entry taken so far, most recently taken first.
    std::deque<FlushEntry> taken;
    while (!list.empty()) {
        std::vector<std::uint64_t> group;
        UlogRequestType type = UlogRequestType::mark_region;
        while (!list.empty() && group.size() < kMaxFlushGroupCount) {
            group.push_back(list.front().region);
            type = list.front().type;
            taken.push_front(list.front());
            list.pop_front();
        }
        if (flush_with_payload) {
            auto res =
                co_await userspace_do_request(st, UlogRequestType::flush, u64s_bytes(group), 0);
            if (res.error != 0) co_return res.error;
        } else {
            auto res = co_await userspace_do_request(st, type, u64s_bytes(group), 0);
            if (res.error != 0) {
                // list_splice_init(&tmp_list, flush_list): everything taken goes back in front.
                for (auto it = taken.rbegin(); it != taken.rend(); ++it) list.push_front(*it);
                co_return co_await flush_one_by_one(st, std::move(list));
            }
        }
    }
    co_return 0;
}

asio::awaitable<int> userspace_flush(StatePtr st) {
    auto mark_list = std::exchange(st->mark_list, {});
    auto clear_list = std::exchange(st->clear_list, {});
    const bool mark_list_is_empty = mark_list.empty();
    if (mark_list_is_empty && clear_list.empty()) co_return 0;

    int r = co_await flush_by_group(st, std::move(clear_list), false);
    if (r == 0 && !st->integrated_flush) {
        r = co_await flush_by_group(st, std::move(mark_list), false);
        if (r == 0) {
            auto res = co_await userspace_do_request(st, UlogRequestType::flush, {}, 0);
            r = res.error;
        }
    } else if (r == 0) {
        r = co_await flush_by_group(st, std::move(mark_list), true);
        if (r == 0) {
            if (mark_list_is_empty && !st->sched_flush) {
                // Only clears: commit them later, in one FLUSH, unless marks come first.
                std::weak_ptr<UserspaceLogState> weak = st;
                auto& ctx = st->env->context();
                st->flush_timer = st->env->clock().call_after(kIntegratedFlushDelay, [weak, &ctx] {
                    if (auto s = weak.lock())
                        asio::co_spawn(ctx, do_flush(std::move(s)), asio::detached);
                });
                st->sched_flush = true;
            } else {
                if (st->flush_timer != 0) st->env->clock().cancel(st->flush_timer);
                st->flush_timer = 0;
                st->sched_flush = false;
            }
        }
    }
    if (r != 0) st->env->table_event();
    co_return r;
}

class UserspaceLog final : public DirtyLog {
public:
    explicit UserspaceLog(StatePtr st) : st_(std::move(st)) {}

    asio::awaitable<void> dtr() override {
        co_await run_pending_flush(st_);
        (void)co_await consult(st_, UlogRequestType::dtr, {}, 0);
        st_->log_dev.reset();  // dm_put_device
    }
    asio::awaitable<int> presuspend() override {
        auto r = co_await consult(st_, UlogRequestType::presuspend, {}, 0);
        co_return r.error;
    }
    asio::awaitable<int> postsuspend() override {
        co_await run_pending_flush(st_);
        auto r = co_await consult(st_, UlogRequestType::postsuspend, {}, 0);
        co_return r.error;
    }
    asio::awaitable<int> resume() override {
        st_->in_sync_hint = 0;
        auto r = co_await consult(st_, UlogRequestType::resume, {}, 0);
        co_return r.error;
    }
    std::uint32_t get_region_size() const override { return st_->region_size; }

    asio::awaitable<int> is_clean(Region region) override {
        auto r =
            co_await userspace_do_request(st_, UlogRequestType::is_clean, u64_bytes(region), 8);
        co_return r.error != 0 ? 0 : static_cast<int>(read_u64(r.data, 0));
    }
    asio::awaitable<int> in_sync(Region region, bool can_block) override {
        if (!can_block) co_return in_sync_nowait(region);
        auto r = co_await userspace_do_request(st_, UlogRequestType::in_sync, u64_bytes(region), 8);
        co_return r.error != 0 ? 0 : static_cast<int>(read_u64(r.data, 0));
    }
    // Never answered from in_sync_hint: another node may have failed a leg.
    int in_sync_nowait(Region) override { return -EWOULDBLOCK; }
    asio::awaitable<int> flush() override { co_return co_await userspace_flush(st_); }
    void mark_region(Region region) override {
        st_->mark_list.push_front({UlogRequestType::mark_region, region});
    }
    void clear_region(Region region) override {
        st_->clear_list.push_front({UlogRequestType::clear_region, region});
    }
    asio::awaitable<int> get_resync_work(Region* region) override {
        if (st_->in_sync_hint >= st_->region_count) co_return 0;
        auto r = co_await userspace_do_request(st_, UlogRequestType::get_resync_work, {}, 16);
        *region = read_u64(r.data, 8);
        co_return r.error != 0 ? r.error : static_cast<int>(read_u64(r.data, 0));
    }
    asio::awaitable<void> set_region_sync(Region region, bool in_sync) override {
        Bytes pkg = u64_bytes(region);
        const Bytes flag = u64_bytes(in_sync ? 1 : 0);
        pkg.insert(pkg.end(), flag.begin(), flag.end());
        (void)co_await userspace_do_request(st_, UlogRequestType::set_region_sync, std::move(pkg),
                                            0);
    }
    asio::awaitable<Region> get_sync_count() override {
        auto r = co_await userspace_do_request(st_, UlogRequestType::get_sync_count, {}, 8);
        if (r.error != 0) co_return 0;
        const Region count = read_u64(r.data, 0);
        if (count >= st_->region_count) st_->in_sync_hint = st_->region_count;
        co_return count;
    }
    asio::awaitable<std::string> status(emu::StatusType type) override {
        if (type == emu::StatusType::table) {
            std::string out = fmt::format("userspace {} {} ", st_->usr_argc, st_->uuid);
            if (st_->integrated_flush) out += "integrated_flush ";
            const auto space = st_->usr_argv_str.find(' ');
            out += st_->usr_argv_str.substr(space == std::string::npos ? 0 : space + 1);
            out += ' ';
            co_return out;
        }
        auto r = co_await userspace_do_request(st_, UlogRequestType::status_info, {},
                                               kStatusInfoCapacity);
        if (r.error != 0) co_return std::string("userspace 1 COM_FAILURE");
        std::string text(reinterpret_cast<const char*>(r.data.data()), r.data.size());
        if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
        co_return text;
    }
    asio::awaitable<int> is_remote_recovering(Region region) override {
        auto& limit = st_->module->remote_recovering_limit;
        const auto& clock = st_->env->clock();
        if (region < st_->in_sync_hint) co_return 0;
        if (limit && *limit > clock.now()) co_return 1;
        limit = clock.now() + kRemoteRecoveringLimit;
        auto r = co_await userspace_do_request(st_, UlogRequestType::is_remote_recovering,
                                               u64_bytes(region), 16);
        if (r.error != 0) co_return 1;
        st_->in_sync_hint = read_u64(r.data, 8);
        co_return static_cast<int>(read_u64(r.data, 0));
    }

private:
    StatePtr st_;
};

asio::awaitable<DirtyLogCtrResult> userspace_ctr(emu::TargetContext& ti,
                                                 std::vector<std::string> args) {
    auto& klog = ti.env.kernel_log();
    if (args.size() < 3) {
        klog.warn(kPrefix, "Too few arguments to userspace dirty log");
        co_return DirtyLogCtrResult::fail(-EINVAL);
    }
    if (args[0].size() > transfer::kMaxUuidLength) {
        klog.warn(kPrefix, "UUID argument too long.");
        co_return DirtyLogCtrResult::fail(-EINVAL);
    }
    auto st = std::make_shared<UserspaceLogState>();
    st->env = &ti.env;
    st->endpoint = ti.env.ulog_endpoint();
    st->module = ti.env.module_states().get<UserspaceLogModule>();
    st->luid = st->module->allocate_luid();
    st->usr_argc = static_cast<std::uint32_t>(args.size());
    st->uuid = args[0];
    std::size_t first = 1;
    if (strcasecmp(args[1].c_str(), "integrated_flush") == 0) {
        st->integrated_flush = true;
        ++first;
    }
    st->usr_argv_str = std::to_string(ti.len);
    for (std::size_t i = first; i < args.size(); ++i) st->usr_argv_str += " " + args[i];

    auto ctr = co_await consult(st, UlogRequestType::ctr, transfer::as_bytes(st->usr_argv_str),
                                transfer::DM_NAME_LEN);
    if (ctr.error < 0) {
        if (ctr.error == -ESRCH)
            klog.err(kPrefix, "Userspace log server not found");
        else
            klog.err(kPrefix, "Userspace log server failed to create log");
        co_return DirtyLogCtrResult::fail(ctr.error);
    }

    auto rs = co_await consult(st, UlogRequestType::get_region_size, {}, 8);
    // A zero region size would divide by zero in the kernel (dm_sector_div_up): refuse it here.
    if (rs.error != 0 || read_u64(rs.data, 0) == 0) {
        klog.err(kPrefix, "Failed to get region size of dirty log");
        co_return DirtyLogCtrResult::fail(rs.error != 0 ? rs.error : -EINVAL);
    }
    st->region_size = static_cast<std::uint32_t>(read_u64(rs.data, 0));
    st->region_count = (ti.len + st->region_size - 1) / st->region_size;

    if (!ctr.data.empty()) {
        if (ctr.data.back() != std::byte{0}) {
            klog.err(kPrefix, "DM_ULOG_CTR device return string not properly terminated");
            co_return DirtyLogCtrResult::fail(-EINVAL);
        }
        const std::string name(reinterpret_cast<const char*>(ctr.data.data()));
        int err = 0;
        st->log_dev = ti.get_device(name, &err);
        if (!st->log_dev) {
            klog.err(kPrefix, "Failed to register {} with device-mapper", name);
            co_return DirtyLogCtrResult::fail(err != 0 ? err : -ENODEV);
        }
    }
    co_return DirtyLogCtrResult{std::make_unique<UserspaceLog>(std::move(st)), 0};
}

}  // namespace

const DirtyLogType userspace_log_type{"userspace", &userspace_ctr};

}  // namespace dmemu::logs
