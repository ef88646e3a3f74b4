// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmemu/ioctl_trace.hpp"

#include <fcntl.h>
#include <fmt/format.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <system_error>

namespace dmemu::daemon {

namespace {

using Json = nlohmann::ordered_json;

void put_fields(Json& j, const emu::DmRequest& req, const emu::DmReply& reply) {
    j["cmd"] = emu::to_string(req.cmd);
    if (!req.name.empty()) j["name"] = req.name;
    if (!req.uuid.empty()) j["uuid"] = req.uuid;
    if (req.devt) j["devt"] = fmt::format("{}:{}", req.devt->major, req.devt->minor);
    if (!req.new_name.empty()) j["new_name"] = req.new_name;
    if (req.set_uuid) j["set_uuid"] = true;
    if (req.cmd == emu::DmCommand::dev_suspend) j["suspend"] = req.suspend;
    Json flags = Json::array();
    for (const auto& [set, flag] : {std::pair{req.read_only, "read_only"},
                                    {req.inactive, "inactive"},
                                    {req.status_table, "status_table"},
                                    {req.noflush, "noflush"},
                                    {req.nolockfs, "nolockfs"}})
        if (set) flags.push_back(flag);
    if (!flags.empty()) j["flags"] = flags;
    if (req.cmd == emu::DmCommand::table_load) {
        Json targets = Json::array();
        for (const auto& t : req.targets)
            targets.push_back(fmt::format("{} {} {}{}{}", t.start, t.length, t.type,
                                          t.params.empty() ? "" : " ", t.params));
        j["targets"] = targets;
    }
    if (req.cmd == emu::DmCommand::target_msg) {
        j["sector"] = req.sector;
        j["message"] = req.message;
    }
    j["error"] = reply.error;
}

}  // namespace

IoctlTrace::IoctlTrace(const std::string& path) : file_(std::fopen(path.c_str(), "we")) {
    if (!file_) throw std::system_error(errno, std::generic_category(), "--ioctl-trace " + path);
    // Appending: a reader may truncate the file between two steps and read only what follows.
    ::fcntl(::fileno(file_), F_SETFL, O_APPEND);
}

IoctlTrace::~IoctlTrace() {
    if (file_) std::fclose(file_);
}

std::string IoctlTrace::line(const emu::DmRequest& req, const emu::DmReply& reply) {
    Json j;
    put_fields(j, req, reply);
    return j.dump();
}

void IoctlTrace::record(const emu::DmRequest& req, const emu::DmReply& reply) {
    Json j;
    j["t_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start_)
                    .count();
    put_fields(j, req, reply);
    const std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    std::fwrite(text.data(), 1, text.size(), file_);
    std::fflush(file_);
}

}  // namespace dmemu::daemon
