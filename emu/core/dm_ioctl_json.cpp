// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/dm_ioctl_json.hpp"

#include <stdexcept>

namespace dmemu::emu {

using nlohmann::json;

namespace {

json devt_json(DevT d) { return json::array({d.major, d.minor}); }
DevT devt_from(const json& j) {
    return DevT{j.at(0).get<std::uint32_t>(), j.at(1).get<std::uint32_t>()};
}

json info_json(const DmInfo& i) {
    json j{{"exists", i.exists},
           {"name", i.name},
           {"uuid", i.uuid},
           {"devt", devt_json(i.devt)},
           {"suspended", i.suspended},
           {"live_table", i.live_table},
           {"inactive_table", i.inactive_table},
           {"read_only", i.read_only},
           {"open_count", i.open_count},
           {"event_nr", i.event_nr},
           {"target_count", i.target_count},
           {"inactive_target_count", i.inactive_target_count},
           {"inactive_read_only", i.inactive_read_only}};
    if (i.read_ahead) j["read_ahead"] = *i.read_ahead;
    return j;
}

DmInfo info_from(const json& j) {
    DmInfo i;
    i.exists = j.at("exists").get<bool>();
    i.name = j.at("name").get<std::string>();
    i.uuid = j.at("uuid").get<std::string>();
    i.devt = devt_from(j.at("devt"));
    i.suspended = j.at("suspended").get<bool>();
    i.live_table = j.at("live_table").get<bool>();
    i.inactive_table = j.at("inactive_table").get<bool>();
    i.read_only = j.at("read_only").get<bool>();
    i.open_count = j.at("open_count").get<std::uint32_t>();
    i.event_nr = j.at("event_nr").get<std::uint32_t>();
    i.target_count = j.at("target_count").get<std::uint32_t>();
    i.inactive_target_count = j.value("inactive_target_count", std::uint32_t{0});
    i.inactive_read_only = j.value("inactive_read_only", false);
    if (j.contains("read_ahead")) i.read_ahead = j.at("read_ahead").get<std::uint32_t>();
    return i;
}

}  // namespace

json to_json(const DmRequest& r) {
    json targets = json::array();
    for (const auto& t : r.targets)
        targets.push_back(
            {{"start", t.start}, {"length", t.length}, {"type", t.type}, {"params", t.params}});
    json j{{"cmd", to_string(r.cmd)}, {"name", r.name},           {"uuid", r.uuid},
           {"new_name", r.new_name},  {"set_uuid", r.set_uuid},   {"read_only", r.read_only},
           {"suspend", r.suspend},    {"inactive", r.inactive},   {"status_table", r.status_table},
           {"noflush", r.noflush},    {"nolockfs", r.nolockfs},   {"targets", targets},
           {"sector", r.sector},      {"message", r.message},     {"size_sectors", r.size_sectors},
           {"file", r.file},          {"after_seq", r.after_seq}, {"fault_id", r.fault_id},
           {"event_nr", r.event_nr}};
    if (r.devt) j["devt"] = devt_json(*r.devt);
    return j;
}

DmRequest request_from_json(const json& j) {
    DmRequest r;
    const auto cmd = dm_command_from_string(j.at("cmd").get<std::string>());
    if (!cmd)
        throw std::invalid_argument("control: unknown command '" + j.at("cmd").get<std::string>() +
                                    "'");
    r.cmd = *cmd;
    r.name = j.value("name", std::string());
    r.uuid = j.value("uuid", std::string());
    if (j.contains("devt")) r.devt = devt_from(j.at("devt"));
    r.new_name = j.value("new_name", std::string());
    r.set_uuid = j.value("set_uuid", false);
    r.read_only = j.value("read_only", false);
    r.suspend = j.value("suspend", false);
    r.inactive = j.value("inactive", false);
    r.status_table = j.value("status_table", false);
    r.noflush = j.value("noflush", false);
    r.nolockfs = j.value("nolockfs", false);
    if (j.contains("targets"))
        for (const auto& t : j.at("targets"))
            r.targets.push_back(
                TargetSpec{t.at("start").get<Sector>(), t.at("length").get<Sector>(),
                           t.at("type").get<std::string>(), t.at("params").get<std::string>()});
    r.sector = j.value("sector", Sector{0});
    r.message = j.value("message", std::string());
    r.size_sectors = j.value("size_sectors", Sector{0});
    r.file = j.value("file", std::string());
    r.after_seq = j.value("after_seq", std::uint64_t{0});
    r.fault_id = j.value("fault_id", std::uint64_t{0});
    r.event_nr = j.value("event_nr", std::uint32_t{0});
    return r;
}

json to_json(const DmReply& r) {
    json targets = json::array();
    for (const auto& t : r.targets)
        targets.push_back(
            {{"start", t.start}, {"length", t.length}, {"type", t.type}, {"params", t.params}});
    json deps = json::array();
    for (const auto& d : r.deps) deps.push_back(devt_json(d));
    json names = json::array();
    for (const auto& n : r.names)
        names.push_back({{"name", n.name},
                         {"uuid", n.uuid},
                         {"devt", devt_json(n.devt)},
                         {"event_nr", n.event_nr}});
    json versions = json::array();
    for (const auto& v : r.versions)
        versions.push_back(
            {{"name", v.name}, {"version", {v.version.major, v.version.minor, v.version.patch}}});
    json disks = json::array();
    for (const auto& d : r.disks)
        disks.push_back({{"name", d.name},
                         {"devt", devt_json(d.devt)},
                         {"sectors", d.sectors},
                         {"file", d.file},
                         {"open_count", d.open_count}});
    json lines = json::array();
    for (const auto& l : r.kernel_lines) lines.push_back({{"seq", l.seq}, {"text", l.text}});
    json faults = json::array();
    for (const auto& f : r.faults)
        faults.push_back({{"disk", f.disk},
                          {"id", f.id},
                          {"kind", f.kind},
                          {"spec", f.spec},
                          {"fired", f.fired}});
    return json{{"error", r.error},
                {"info", info_json(r.info)},
                {"targets", targets},
                {"deps", deps},
                {"names", names},
                {"versions", versions},
                {"driver_version", r.driver_version},
                {"message_output", r.message_output},
                {"disks", disks},
                {"kernel_lines", lines},
                {"detail", r.detail},
                {"faults", faults},
                {"data_out", r.data_out},
                {"global_event_nr", r.global_event_nr}};
}

DmReply reply_from_json(const json& j) {
    DmReply r;
    r.error = j.at("error").get<int>();
    r.info = info_from(j.at("info"));
    for (const auto& t : j.at("targets"))
        r.targets.push_back(DmTargetLine{t.at("start").get<Sector>(), t.at("length").get<Sector>(),
                                         t.at("type").get<std::string>(),
                                         t.at("params").get<std::string>()});
    for (const auto& d : j.at("deps")) r.deps.push_back(devt_from(d));
    for (const auto& n : j.at("names"))
        r.names.push_back({n.at("name").get<std::string>(), n.at("uuid").get<std::string>(),
                           devt_from(n.at("devt")), n.value("event_nr", std::uint32_t{0})});
    for (const auto& v : j.at("versions")) {
        const auto& ver = v.at("version");
        r.versions.push_back({v.at("name").get<std::string>(),
                              TargetVersion{ver.at(0).get<unsigned>(), ver.at(1).get<unsigned>(),
                                            ver.at(2).get<unsigned>()}});
    }
    r.driver_version = j.at("driver_version").get<std::string>();
    r.message_output = j.at("message_output").get<std::string>();
    for (const auto& d : j.at("disks"))
        r.disks.push_back({d.at("name").get<std::string>(), devt_from(d.at("devt")),
                           d.at("sectors").get<Sector>(), d.at("file").get<std::string>(),
                           d.at("open_count").get<std::uint32_t>()});
    for (const auto& l : j.at("kernel_lines"))
        r.kernel_lines.push_back(
            {l.at("seq").get<std::uint64_t>(), l.at("text").get<std::string>()});
    r.detail = j.at("detail").get<std::string>();
    r.data_out = j.value("data_out", false);
    r.global_event_nr = j.value("global_event_nr", std::uint32_t{0});
    if (j.contains("faults"))
        for (const auto& f : j.at("faults"))
            r.faults.push_back({f.at("disk").get<std::string>(), f.at("id").get<std::uint64_t>(),
                                f.at("kind").get<std::string>(), f.at("spec").get<std::string>(),
                                f.at("fired").get<std::uint64_t>()});
    return r;
}

}  // namespace dmemu::emu
