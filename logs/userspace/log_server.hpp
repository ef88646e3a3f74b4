// SPDX-License-Identifier: GPL-2.0-only
// The log server engine: cmirrord's bookkeeping (LVM2 daemons/cmirrord/functions.c, local.c)
// for one node, independent of any transport. It takes a decoded dm_ulog_request and says what
// to send back; LogServerConnection (log_server_connection.hpp) wires it to a Carrier.
//
// Log types: clustered-core and clustered-disk. CTR string: "<dev_size> clustered-core
// <region_size> [[no]sync] [block_on_error]" or "<dev_size> clustered-disk <log dev>
// <region_size> [[no]sync] [block_on_error]". A clustered-disk log keeps its bits in memory,
// in a per-server store keyed by the log device string ("253:2"): it survives DTR and CTR (a
// new instance on the same device reads it at its master resume) but not a server restart.
//
// Match modes (dm-spec.md sections 0, 3.1-3.4):
//  * uuid_luid (cmirrord today, the default): logs looked up by uuid and luid, luid 0 a
//    wildcard; new logs are appended to the pending list, moved to the official list at RESUME
//    and back to pending at POSTSUSPEND; requests that cmirrord routes through the cluster
//    (IS_CLEAN, FLUSH, MARK/CLEAR_REGION, GET_RESYNC_WORK, SET_REGION_SYNC, STATUS_INFO,
//    IS_REMOTE_RECOVERING, POSTSUSPEND, RESUME) lose their luid on the way (cluster_send sets
//    it to 0) and reach the first official log with the uuid.
//  * uuid (the historic daemon, LVM2 before 5c8922b72): lookup by uuid alone; a CTR for a uuid
//    that has a log bumps its reference count and discards the new arguments; DTR decrements
//    and frees at 0.
//  * uuid_first: separate instances, lookup by uuid alone (first match), head insertion, no
//    duplicate check: after a swap the old instance is resumed and the old table's DTR destroys
//    the live one.
//
// Replies as cmirrord's: the request header echoed with error and data (data dropped when error
// != 0); CLEAR_REGION is acked at once with a bare ack (errors are not reported); an unknown
// uuid/luid gets -EINVAL (-ENOENT for a cluster-routed request whose uuid has no CPG).
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "transfer/ulog_request.hpp"

namespace dmemu::logs {

enum class MatchMode { uuid_luid, uuid, uuid_first };

std::string_view to_string(MatchMode mode);  // "uuid+luid", "uuid", "uuid-first"
bool parse_match_mode(std::string_view text, MatchMode* out);

// What the server sends for one request.
struct ServerResponse {
    enum class Kind { reply, bare_ack, none };
    Kind kind = Kind::none;
    std::int32_t error = 0;       // reply: 0 or -errno
    std::vector<std::byte> data;  // reply data (empty when error != 0)
    std::uint32_t ack_errno = 0;  // bare_ack: positive errno in cn_msg.ack
};

// One request as the engine saw it (tests and the trace read these).
struct ServerEvent {
    transfer::UlogRequestType type;
    std::string uuid;
    std::uint64_t luid;  // as the request carried it
    std::uint32_t seq;
    std::uint64_t instance = 0;  // the engine's id of the log it acted on, 0 when none
    std::int32_t error = 0;
    std::vector<std::uint64_t> regions;  // MARK/CLEAR_REGION, FLUSH: the payload
};

struct LogServerOptions {
    MatchMode match = MatchMode::uuid_luid;
    // cmirrord answers a clustered-disk CTR of request version > 1 with the log device's name
    // (dm-spec.md 3.2): the kernel then dm_get_device()s it.
    bool reply_device_name = true;
    // Keep every ServerEvent in events() (tests, scenarios). A long-running server turns it
    // off, or its memory grows with every request.
    bool record_events = true;
    // Called with each event as it happens (a scenario's trace), recorded or not.
    std::function<void(const ServerEvent&)> observer;
};

// A log instance as the server keeps it (cmirrord's struct log_c, the parts we use).
struct ServerLog {
    std::uint64_t id = 0;  // 1, 2, ... in creation order: which object a request reached
    std::string uuid;
    std::uint64_t luid = 0;
    std::uint64_t region_size = 0;
    std::uint64_t region_count = 0;
    enum class Sync { default_sync, force_sync, no_sync } sync = Sync::default_sync;
    bool block_on_error = false;
    bool disk = false;
    std::string log_dev;  // clustered-disk only
    std::vector<bool> clean_bits;
    std::vector<bool> sync_bits;
    std::uint64_t sync_count = 0;
    bool in_sync = false;
    bool touched = false;
    bool recovery_halted = false;
    bool resumed = false;  // LOG_RESUMED vs suspended/new
    int resume_override = 0;
    std::uint64_t recovering_region = ~std::uint64_t{0};
    std::uint64_t sync_search = 0;
    std::vector<std::uint64_t> mark_list;
    std::vector<std::uint64_t> recovery_requests;  // newest first
    int ref_count = 1;                             // MatchMode::uuid only
};

class LogServer {
public:
    explicit LogServer(LogServerOptions options = {});

    ServerResponse handle(const transfer::UlogMessage& request);
    // The same into *response, reusing its data buffer (a connection keeps one for every
    // request).
    void handle(const transfer::UlogMessage& request, ServerResponse* response);

    // Official (resumed) and pending logs, in list order.
    const std::list<std::shared_ptr<ServerLog>>& official() const { return official_; }
    const std::list<std::shared_ptr<ServerLog>>& pending() const { return pending_; }
    const ServerLog* find(std::uint64_t id) const;
    const std::vector<ServerEvent>& events() const { return events_; }
    void clear_events() { events_.clear(); }
    MatchMode match() const { return options_.match; }

private:
    struct DiskImage {
        std::uint64_t nr_regions = 0;
        std::vector<bool> clean_bits;
    };
    using LogPtr = std::shared_ptr<ServerLog>;
    using LogList = std::list<LogPtr>;

    bool matches(const ServerLog& lc, std::string_view uuid, std::uint64_t luid) const;
    LogPtr get_log(std::string_view uuid, std::uint64_t luid) const;
    LogPtr get_pending_log(std::string_view uuid, std::uint64_t luid) const;
    void add(LogList& list, LogPtr lc);
    void unlink(const LogPtr& lc);
    bool has_cpg(std::string_view uuid) const;
    void destroy_cluster_cpg(std::string_view uuid);
    void record(const transfer::UlogMessage& request, ServerEvent ev);

    int clog_ctr(const transfer::UlogMessage& rq, std::vector<std::byte>* out, ServerEvent* ev);
    int clog_dtr(std::string_view uuid, std::uint64_t luid, ServerEvent* ev);
    int local_resume(std::string_view uuid, std::uint64_t luid, ServerEvent* ev);
    int clog_resume(ServerLog& lc);
    // One request, as cmirrord's do_request: its log found (by the match mode), then the clog_*
    // function named for it (daemons/cmirrord/functions.c), one per request type.
    int do_request(const transfer::UlogMessage& rq, std::uint64_t luid, std::vector<std::byte>* out,
                   ServerEvent* ev);

    // What a clog_* function gets: the request, its decoded payload, and its log (null for CTR
    // and DTR, which find or make it themselves).
    struct Call;
    struct RequestHandler;
    static const RequestHandler* handler_for(transfer::UlogRequestType type);
    int clog_ctr_call(const Call& c);
    int clog_dtr_call(const Call& c);
    int clog_presuspend(const Call& c);
    int clog_postsuspend(const Call& c);
    int clog_resume_call(const Call& c);
    int clog_get_region_size(const Call& c);
    int clog_is_clean(const Call& c);
    int clog_in_sync(const Call& c);
    int clog_flush(const Call& c);
    int clog_mark_region(const Call& c);
    int clog_clear_region(const Call& c);
    int clog_get_resync_work(const Call& c);
    int clog_set_region_sync(const Call& c);
    int clog_get_sync_count(const Call& c);
    int clog_status_info(const Call& c);
    int clog_status_table(const Call& c);
    int clog_is_remote_recovering(const Call& c);
    // The marks that MARK_REGION, and FLUSH under integrated_flush, carry.
    static void mark_regions(ServerLog& lc, const std::vector<std::uint64_t>& regions);

    LogServerOptions options_;
    LogList official_;  // cmirrord's log_list
    LogList pending_;   // log_pending_list
    struct Cpg {
        std::string uuid;
        std::uint64_t luid;
    };
    std::vector<Cpg> cpgs_;
    std::map<std::string, DiskImage> disks_;
    std::uint64_t next_id_ = 1;
    std::vector<ServerEvent> events_;
};

}  // namespace dmemu::logs
