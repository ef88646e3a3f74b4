// SPDX-License-Identifier: GPL-2.0-only
// cmirrord's request handling for one node (LVM2 daemons/cmirrord/functions.c and local.c;
// the pre-luid behaviour from lvm2 5c8922b72^ daemons/clogd/functions.c). See log_server.hpp.
#include "logs/userspace/log_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "transfer/ulog_payloads.hpp"

namespace dmemu::logs {

namespace {

using transfer::UlogRequestType;
using Bytes = std::vector<std::byte>;
constexpr std::uint64_t kNoRegion = ~std::uint64_t{0};
constexpr int kResumeDone = 1000;  // resume_override after a master resume

// SHORT_UUID: the last 8 characters.
std::string_view short_uuid(std::string_view uuid) {
    return uuid.size() > 8 ? uuid.substr(uuid.size() - 8) : uuid;
}

// strtoll(s, &p, 0) with *p == '\0' required; 0 for anything else (cmirrord treats 0 as bad).
std::uint64_t parse_u64(std::string_view s) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s.remove_prefix(2);
    } else if (s.size() > 1 && s[0] == '0') {
        base = 8;
        s.remove_prefix(1);
    }
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return 0;
    return v;
}

std::vector<std::string> split_spaces(std::string_view s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto sp = s.find(' ', start);
        out.emplace_back(s.substr(start, sp == std::string_view::npos ? sp : sp - start));
        if (sp == std::string_view::npos) return out;
        start = sp + 1;
    }
}

bool test_bit(const std::vector<bool>& bits, std::uint64_t i) { return i < bits.size() && bits[i]; }
void set_bit(ServerLog& lc, std::vector<bool>& bits, std::uint64_t i) {
    if (i < bits.size()) bits[i] = true;
    lc.touched = true;
}
void clear_bit(ServerLog& lc, std::vector<bool>& bits, std::uint64_t i) {
    if (i < bits.size()) bits[i] = false;
    lc.touched = true;
}
std::uint64_t count_bits(const std::vector<bool>& bits) {
    return static_cast<std::uint64_t>(std::count(bits.begin(), bits.end(), true));
}

void put_u64(Bytes* out, std::uint64_t v) {
    const auto at = out->size();
    out->resize(at + 8);
    std::memcpy(out->data() + at, &v, 8);
}
void put_text(Bytes* out, const std::string& text) {
    const auto b = transfer::as_bytes(text);
    out->assign(b.begin(), b.end());
}

bool routed_through_cluster(UlogRequestType t) {
    switch (t) {
        case UlogRequestType::is_clean:
        case UlogRequestType::flush:
        case UlogRequestType::mark_region:
        case UlogRequestType::clear_region:
        case UlogRequestType::get_resync_work:
        case UlogRequestType::set_region_sync:
        case UlogRequestType::status_info:  // local.c do_local_work: yes, STATUS_INFO too
        case UlogRequestType::is_remote_recovering:
        case UlogRequestType::postsuspend:
        case UlogRequestType::resume:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::string_view to_string(MatchMode mode) {
    switch (mode) {
        case MatchMode::uuid_luid:
            return "uuid+luid";
        case MatchMode::uuid:
            return "uuid";
        case MatchMode::uuid_first:
            return "uuid-first";
    }
    return "?";
}

bool parse_match_mode(std::string_view text, MatchMode* out) {
    for (auto m : {MatchMode::uuid_luid, MatchMode::uuid, MatchMode::uuid_first})
        if (text == to_string(m)) {
            *out = m;
            return true;
        }
    return false;
}

LogServer::LogServer(LogServerOptions options) : options_(options) {}

const ServerLog* LogServer::find(std::uint64_t id) const {
    for (const auto* list : {&official_, &pending_})
        for (const auto& lc : *list)
            if (lc->id == id) return lc.get();
    return nullptr;
}

bool LogServer::matches(const ServerLog& lc, std::string_view uuid, std::uint64_t luid) const {
    if (lc.uuid != uuid) return false;
    return options_.match != MatchMode::uuid_luid || luid == 0 || lc.luid == luid;
}

LogServer::LogPtr LogServer::get_log(std::string_view uuid, std::uint64_t luid) const {
    for (const auto& lc : official_)
        if (matches(*lc, uuid, luid)) return lc;
    return nullptr;
}

LogServer::LogPtr LogServer::get_pending_log(std::string_view uuid, std::uint64_t luid) const {
    for (const auto& lc : pending_)
        if (matches(*lc, uuid, luid)) return lc;
    return nullptr;
}

// dm_list_add (tail) in cmirrord; list_add (head) in the pre-luid daemon.
void LogServer::add(LogList& list, LogPtr lc) {
    if (options_.match == MatchMode::uuid_luid)
        list.push_back(std::move(lc));
    else
        list.push_front(std::move(lc));
}

void LogServer::unlink(const LogPtr& lc) {
    official_.remove(lc);
    pending_.remove(lc);
}

bool LogServer::has_cpg(std::string_view uuid) const {
    return std::any_of(cpgs_.begin(), cpgs_.end(), [&](const Cpg& c) { return c.uuid == uuid; });
}

void LogServer::destroy_cluster_cpg(std::string_view uuid) {
    std::erase_if(cpgs_, [&](const Cpg& c) { return c.uuid == uuid; });
}

// clog_ctr + _clog_ctr.
int LogServer::clog_ctr(const transfer::UlogMessage& rq, Bytes* out, ServerEvent* ev) {
    const auto& h = *rq.req;
    std::string text(reinterpret_cast<const char*>(rq.payload.data()), rq.payload.size());
    if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
    if (text.empty()) {
        spdlog::error("ulog-server: Received constructor request with no data");
        return -EINVAL;
    }
    auto words = split_spaces(text);
    if (words.size() < 2 || (words[1] != "clustered-disk" && words[1] != "clustered-core")) {
        spdlog::error("ulog-server: Unsupported userspace log type, \"{}\"",
                      words.size() < 2 ? std::string() : words[1]);
        return -EINVAL;
    }
    const std::uint64_t device_size = parse_u64(words[0]);
    if (device_size == 0) {
        spdlog::error("ulog-server: Invalid device size argument: {}", words[0]);
        return -EINVAL;
    }
    std::vector<std::string> argv(words.begin() + 2, words.end());
    const std::size_t argc = argv.size();
    // A core log's first argument is its region size; anything else names a log device.
    const bool disk = argc == 0 || parse_u64(argv[0]) == 0;
    if (disk ? (argc < 2 || argc > 4) : (argc < 1 || argc > 3)) {
        spdlog::error("ulog-server: Too {} arguments to clustered-{} log type",
                      argc < (disk ? 3u : 2u) ? "few" : "many", disk ? "disk" : "core");
        return -EINVAL;
    }
    const std::uint64_t region_size = parse_u64(argv[disk ? 1 : 0]);
    if (region_size == 0) {
        spdlog::error("ulog-server: Invalid region_size argument to clustered-{} log type",
                      disk ? "disk" : "core");
        return -EINVAL;
    }

    if (auto dup =
            get_log(h.uuid, h.luid) ? get_log(h.uuid, h.luid) : get_pending_log(h.uuid, h.luid)) {
        if (options_.match == MatchMode::uuid_luid) {
            spdlog::error("ulog-server: [{}/{}u] Log already exists, unable to create.",
                          short_uuid(h.uuid), h.luid);
            ev->instance = dup->id;
            return -EINVAL;
        }
        if (options_.match == MatchMode::uuid) {
            spdlog::debug("ulog-server: [{}] Inc reference count on cluster log",
                          short_uuid(h.uuid));
            ++dup->ref_count;
            ev->instance = dup->id;
            if (disk && h.version > 1 && options_.reply_device_name) {
                put_text(out, argv[0]);
                out->push_back(std::byte{0});
            }
            return 0;
        }
        // uuid_first: no duplicate check, a separate instance.
    }

    auto lc = std::make_shared<ServerLog>();
    lc->id = next_id_++;
    lc->uuid = h.uuid;
    lc->luid = h.luid;
    lc->region_size = region_size;
    lc->region_count = (device_size + region_size - 1) / region_size;
    for (const auto& a : argv) {
        if (a == "sync")
            lc->sync = ServerLog::Sync::force_sync;
        else if (a == "nosync")
            lc->sync = ServerLog::Sync::no_sync;
        else if (a == "block_on_error")
            lc->block_on_error = true;
    }
    lc->disk = disk;
    if (disk) lc->log_dev = argv[0];
    lc->clean_bits.assign(lc->region_count, false);
    lc->sync_bits.assign(lc->region_count, lc->sync == ServerLog::Sync::no_sync);
    lc->sync_count = lc->sync == ServerLog::Sync::no_sync ? lc->region_count : 0;
    ev->instance = lc->id;
    add(pending_, lc);
    spdlog::debug("ulog-server: [{}] Cluster log created", short_uuid(h.uuid));

    if (disk && h.version > 1 && options_.reply_device_name) {
        put_text(out, argv[0]);
        out->push_back(std::byte{0});
    }
    return 0;
}

int LogServer::clog_dtr(std::string_view uuid, std::uint64_t luid, ServerEvent* ev) {
    auto lc = get_log(uuid, luid);
    const bool official = lc != nullptr;
    if (!lc) lc = get_pending_log(uuid, luid);
    if (!lc) {
        spdlog::error("ulog-server: clog_dtr called on log that is not official or pending");
        return -EINVAL;
    }
    ev->instance = lc->id;
    if (options_.match == MatchMode::uuid && --lc->ref_count > 0) {
        spdlog::debug("ulog-server: [{}] Dec reference count on cluster log", short_uuid(uuid));
        return 0;
    }
    if (official) {
        spdlog::error("ulog-server: [{}] DTR before SUS: leaving CPG", short_uuid(uuid));
        destroy_cluster_cpg(uuid);
    }
    spdlog::debug("ulog-server: [{}] Cluster log removed", short_uuid(uuid));
    unlink(lc);
    return 0;
}

int LogServer::local_resume(std::string_view uuid, std::uint64_t luid, ServerEvent* ev) {
    if (auto lc = get_log(uuid, luid)) {
        ev->instance = lc->id;
        return 0;
    }
    auto lc = get_pending_log(uuid, luid);
    if (!lc) {
        spdlog::error("ulog-server: clog_resume called on log that is not official or pending");
        return -EINVAL;
    }
    ev->instance = lc->id;
    // cmirrord also sleeps up to 3 s after a recent postsuspend here; not emulated.
    if (has_cpg(uuid)) {
        spdlog::error("ulog-server: Log entry already exists: {}", uuid);
        spdlog::error("ulog-server: clog_resume:  Failed to create cluster CPG");
        return -EEXIST;
    }
    cpgs_.push_back({std::string(uuid), lc->luid});
    unlink(lc);
    add(official_, lc);
    return 0;
}

int LogServer::clog_resume(ServerLog& lc) {
    lc.in_sync = false;
    int error = 0;
    bool commit_log = false;
    std::uint64_t disk_nr_regions = 0;
    switch (lc.resume_override) {
        case kResumeDone:
            spdlog::error("ulog-server: [{}] Additional resume issued before suspend",
                          short_uuid(lc.uuid));
            return 0;
        case 0:
            lc.resume_override = kResumeDone;
            if (lc.disk) {
                commit_log = true;
                auto it = disks_.find(lc.log_dev);
                if (it != disks_.end()) {
                    disk_nr_regions =
                        std::min<std::uint64_t>(it->second.nr_regions, lc.region_count);
                    for (std::uint64_t i = 0; i < disk_nr_regions; ++i)
                        lc.clean_bits[i] = test_bit(it->second.clean_bits, i);
                } else {
                    spdlog::debug("ulog-server: [{}] (Re)initializing mirror log - resync issued.",
                                  short_uuid(lc.uuid));
                }
            }
            break;
        default:
            spdlog::error("ulog-server: Error:: multiple loading of bits ({})", lc.resume_override);
            return -EINVAL;
    }
    for (std::uint64_t i = disk_nr_regions; i < lc.region_count; ++i) {
        if (lc.sync == ServerLog::Sync::no_sync)
            set_bit(lc, lc.clean_bits, i);
        else
            clear_bit(lc, lc.clean_bits, i);
    }
    lc.sync_bits = lc.clean_bits;
    if (commit_log) {
        disks_[lc.log_dev] = DiskImage{lc.region_count, lc.clean_bits};
        lc.touched = false;
    }
    lc.sync_count = count_bits(lc.sync_bits);
    lc.sync_search = 0;
    lc.resumed = true;
    lc.recovery_halted = false;
    return error;
}

struct LogServer::Call {
    const transfer::UlogMessage& rq;
    const transfer::RequestPayload& payload;
    std::uint64_t luid;
    Bytes* out;
    ServerEvent* ev;
    ServerLog* lc;

    std::uint64_t region() const {
        if (auto* r = std::get_if<transfer::Region>(&payload)) return r->region;
        return 0;
    }
};

struct LogServer::RequestHandler {
    enum class Lookup {
        none,                 // CTR, DTR: they find or make their log
        official,             // get_log: a log the kernel resumed or is using
        official_or_pending,  // get_log, else get_pending_log (a log not yet in the cluster)
    };
    UlogRequestType type;
    Lookup lookup;
    int (LogServer::*fn)(const Call&);
};

const LogServer::RequestHandler* LogServer::handler_for(UlogRequestType type) {
    using L = RequestHandler::Lookup;
    using T = UlogRequestType;
    static const RequestHandler kHandlers[] = {
        {T::ctr, L::none, &LogServer::clog_ctr_call},
        {T::dtr, L::none, &LogServer::clog_dtr_call},
        {T::presuspend, L::official, &LogServer::clog_presuspend},
        {T::postsuspend, L::official, &LogServer::clog_postsuspend},
        {T::resume, L::official, &LogServer::clog_resume_call},
        {T::get_region_size, L::official_or_pending, &LogServer::clog_get_region_size},
        {T::is_clean, L::official, &LogServer::clog_is_clean},
        {T::in_sync, L::official, &LogServer::clog_in_sync},
        {T::flush, L::official, &LogServer::clog_flush},
        {T::mark_region, L::official, &LogServer::clog_mark_region},
        {T::clear_region, L::official, &LogServer::clog_clear_region},
        {T::get_resync_work, L::official, &LogServer::clog_get_resync_work},
        {T::set_region_sync, L::official, &LogServer::clog_set_region_sync},
        {T::get_sync_count, L::official_or_pending, &LogServer::clog_get_sync_count},
        {T::status_info, L::official_or_pending, &LogServer::clog_status_info},
        {T::status_table, L::official_or_pending, &LogServer::clog_status_table},
        {T::is_remote_recovering, L::official, &LogServer::clog_is_remote_recovering},
    };
    for (const auto& h : kHandlers)
        if (h.type == type) return &h;
    return nullptr;
}

int LogServer::do_request(const transfer::UlogMessage& rq, std::uint64_t luid, Bytes* out,
                          ServerEvent* ev) {
    const auto& h = *rq.req;
    auto payload = transfer::decode_request_payload(h.type, rq.payload);
    if (!payload) {
        spdlog::error("ulog-server: [{}] {}", short_uuid(h.uuid), payload.error().message);
        return -EINVAL;
    }
    const RequestHandler* handler = handler_for(h.type);
    if (!handler) return 0;
    LogPtr lc;
    if (handler->lookup != RequestHandler::Lookup::none) {
        lc = get_log(h.uuid, luid);
        if (!lc && handler->lookup == RequestHandler::Lookup::official_or_pending)
            lc = get_pending_log(h.uuid, luid);
        if (!lc) return -EINVAL;
    }
    const int r = (this->*handler->fn)(Call{rq, *payload, luid, out, ev, lc.get()});
    // The event names the log that answered; a RESUME names it whatever it answered.
    if (lc && (r == 0 || h.type == UlogRequestType::resume)) ev->instance = lc->id;
    return r;
}

int LogServer::clog_ctr_call(const Call& c) { return clog_ctr(c.rq, c.out, c.ev); }

int LogServer::clog_dtr_call(const Call& c) { return clog_dtr(c.rq.req->uuid, c.luid, c.ev); }

int LogServer::clog_presuspend(const Call& c) {
    c.lc->recovery_halted = true;
    return 0;
}

int LogServer::clog_postsuspend(const Call& c) {
    const std::string& uuid = c.rq.req->uuid;
    std::vector<std::uint64_t> left;
    for (const auto& cpg : cpgs_)
        if (cpg.uuid == uuid) left.push_back(cpg.luid);
    destroy_cluster_cpg(uuid);
    c.lc->resumed = false;
    c.lc->recovering_region = kNoRegion;
    // cluster_postsuspend, when this node's leave comes back: by the luid the CPG kept.
    for (auto cpg_luid : left)
        if (auto moved = get_log(uuid, cpg_luid)) {
            moved->resume_override = 0;
            unlink(moved);
            add(pending_, moved);
        }
    return 0;
}

int LogServer::clog_resume_call(const Call& c) { return clog_resume(*c.lc); }

int LogServer::clog_get_region_size(const Call& c) {
    put_u64(c.out, c.lc->region_size);
    return 0;
}

int LogServer::clog_is_clean(const Call& c) {
    put_u64(c.out, test_bit(c.lc->clean_bits, c.region()) ? 1 : 0);
    return 0;
}

int LogServer::clog_in_sync(const Call& c) {
    const auto region = c.region();
    if (region > c.lc->region_count) return -EINVAL;
    put_u64(c.out, test_bit(c.lc->sync_bits, region) || c.lc->in_sync ? 1 : 0);
    return 0;
}

void LogServer::mark_regions(ServerLog& lc, const std::vector<std::uint64_t>& regions) {
    for (auto r : regions)
        if (std::find(lc.mark_list.begin(), lc.mark_list.end(), r) == lc.mark_list.end()) {
            clear_bit(lc, lc.clean_bits, r);
            lc.mark_list.push_back(r);
        }
}

int LogServer::clog_flush(const Call& c) {
    ServerLog& lc = *c.lc;
    // integrated_flush: the marks ride on FLUSH.
    if (auto* list = std::get_if<transfer::RegionList>(&c.payload)) mark_regions(lc, list->regions);
    if (lc.touched && lc.disk) disks_[lc.log_dev] = DiskImage{lc.region_count, lc.clean_bits};
    lc.touched = false;
    return 0;
}

int LogServer::clog_mark_region(const Call& c) {
    mark_regions(*c.lc, std::get<transfer::RegionList>(c.payload).regions);
    return 0;
}

int LogServer::clog_clear_region(const Call& c) {
    ServerLog& lc = *c.lc;
    for (auto r : std::get<transfer::RegionList>(c.payload).regions) {
        std::erase(lc.mark_list, r);
        if (test_bit(lc.sync_bits, r)) set_bit(lc, lc.clean_bits, r);
    }
    return 0;
}

int LogServer::clog_get_resync_work(const Call& c) {
    ServerLog& lc = *c.lc;
    std::int64_t i = 0;
    std::uint64_t r = 0;
    if (lc.sync_search >= lc.region_count) {
        // recovery finished
    } else if (lc.recovering_region != kNoRegion) {
        r = lc.recovering_region;  // one node: the recoverer is always us
        i = 1;
    } else {
        while (!lc.recovery_requests.empty() && i == 0) {
            r = lc.recovery_requests.front();
            lc.recovery_requests.erase(lc.recovery_requests.begin());
            if (!test_bit(lc.sync_bits, r)) i = 1;
        }
        if (i == 0) {
            r = lc.sync_search;
            while (r < lc.region_count && test_bit(lc.sync_bits, r)) ++r;
            if (r >= lc.region_count) {
                lc.sync_search = lc.region_count + 1;
            } else {
                lc.sync_search = r + 1;
                i = 1;
            }
        }
        if (i == 1) lc.recovering_region = r;
    }
    put_u64(c.out, static_cast<std::uint64_t>(i));
    put_u64(c.out, r);
    return 0;
}

int LogServer::clog_set_region_sync(const Call& c) {
    ServerLog& lc = *c.lc;
    const auto pkg = std::get<transfer::RegionSync>(c.payload);
    lc.recovering_region = kNoRegion;
    if (pkg.in_sync != 0) {
        if (!test_bit(lc.sync_bits, pkg.region)) set_bit(lc, lc.sync_bits, pkg.region);
    } else if (test_bit(lc.sync_bits, pkg.region)) {
        clear_bit(lc, lc.sync_bits, pkg.region);
    }
    lc.sync_count = count_bits(lc.sync_bits);
    if (lc.sync_count == lc.region_count) lc.in_sync = true;
    return 0;
}

int LogServer::clog_get_sync_count(const Call& c) {
    c.lc->sync_count = count_bits(c.lc->sync_bits);
    put_u64(c.out, c.lc->sync_count);
    return 0;
}

int LogServer::clog_status_info(const Call& c) {
    const ServerLog& lc = *c.lc;
    put_text(c.out, lc.disk ? fmt::format("3 clustered-disk {} A", lc.log_dev)
                            : std::string("1 clustered-core"));
    return 0;
}

int LogServer::clog_status_table(const Call& c) {
    const ServerLog& lc = *c.lc;
    const char* sync = lc.sync == ServerLog::Sync::default_sync ? ""
                       : lc.sync == ServerLog::Sync::no_sync    ? "nosync "
                                                                : "sync ";
    const char* boe = lc.block_on_error ? "block_on_error" : "";
    put_text(c.out, lc.disk ? fmt::format("clustered-disk {} {} {}{} ", lc.log_dev, lc.region_size,
                                          sync, boe)
                            : fmt::format("clustered-core {} {}{} ", lc.region_size, sync, boe));
    return 0;
}

int LogServer::clog_is_remote_recovering(const Call& c) {
    ServerLog& lc = *c.lc;
    const auto region = c.region();
    if (region > lc.region_count) return -EINVAL;
    std::int64_t is_recovering = 0;
    std::uint64_t hint = lc.region_count;
    if (!lc.recovery_halted) {
        is_recovering = test_bit(lc.sync_bits, region) ? 0 : 1;
        hint = lc.sync_search ? lc.sync_search - 1 : 0;
    }
    if (is_recovering && region != lc.recovering_region &&
        std::find(lc.recovery_requests.begin(), lc.recovery_requests.end(), region) ==
            lc.recovery_requests.end())
        lc.recovery_requests.insert(lc.recovery_requests.begin(), region);
    put_u64(c.out, static_cast<std::uint64_t>(is_recovering));
    put_u64(c.out, hint);
    return 0;
}

// The event's uuid and regions are filled only here, when someone reads them: a server that
// records nothing (dmemu-ulogd) copies no uuid and decodes no region list per request.
void LogServer::record(const transfer::UlogMessage& request, ServerEvent ev) {
    if (!options_.observer && !options_.record_events) return;
    const auto& h = *request.req;
    ev.uuid = h.uuid;
    if (h.type == UlogRequestType::mark_region || h.type == UlogRequestType::clear_region ||
        h.type == UlogRequestType::flush)
        if (auto list = transfer::decode_region_list(request.payload, true))
            ev.regions = std::move(list->regions);
    if (options_.observer) options_.observer(ev);
    if (options_.record_events) events_.push_back(std::move(ev));
}

ServerResponse LogServer::handle(const transfer::UlogMessage& request) {
    ServerResponse resp;
    handle(request, &resp);
    return resp;
}

void LogServer::handle(const transfer::UlogMessage& request, ServerResponse* out) {
    ServerResponse& resp = *out;
    resp.kind = ServerResponse::Kind::none;
    resp.error = 0;
    resp.data.clear();
    resp.ack_errno = 0;
    if (request.is_bare_ack()) return;  // the kernel sends none
    const auto& h = *request.req;
    ServerEvent ev{h.type, {}, h.luid, h.seq, 0, 0, {}};
    spdlog::debug("ulog-server: [{}] request {} luid {} seq {}", short_uuid(h.uuid),
                  transfer::short_name(h.type), h.luid, h.seq);

    Bytes& data = resp.data;
    int error = 0;
    if (h.type == UlogRequestType::clear_region) {
        // kernel_ack at once, then the cluster; errors are not reported back.
        resp.kind = ServerResponse::Kind::bare_ack;
        if (has_cpg(h.uuid))
            ev.error = do_request(request, 0, &data, &ev);
        else
            ev.error = -ENOENT;
        data.clear();
        record(request, std::move(ev));
        return;
    }
    if (h.type == UlogRequestType::resume) error = local_resume(h.uuid, h.luid, &ev);
    if (error == 0) {
        if (routed_through_cluster(h.type)) {
            // cluster_send: no CPG for the uuid => -ENOENT; otherwise the luid is dropped.
            if (!has_cpg(h.uuid))
                error = -ENOENT;
            else
                error = do_request(request, 0, &data, &ev);
        } else {
            error = do_request(request, h.luid, &data, &ev);
        }
    }
    if (error != 0) data.clear();
    ev.error = error;
    record(request, std::move(ev));
    resp.kind = ServerResponse::Kind::reply;
    resp.error = error;
}

}  // namespace dmemu::logs
