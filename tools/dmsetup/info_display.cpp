// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/info_display.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;

void report_missing_node(Session& s, const emu::DmInfo& info) {
    s.errorf("/dev/mapper/{}: open failed: No such file or directory", info.name);
}

void display_info_long(Session& s, const emu::DmInfo& i) {
    std::string& o = s.out;
    o += fmt::format("Name:              {}\n", i.name);
    o += fmt::format("State:             {}{}\n", i.suspended ? "SUSPENDED" : "ACTIVE",
                     i.read_only ? " (READ-ONLY)" : "");
    if (i.read_ahead)
        o += fmt::format("Read Ahead:        {}\n", *i.read_ahead);
    else
        report_missing_node(s, i);
    if (!i.live_table && !i.inactive_table)
        o += "Tables present:    None\n";
    else
        o += fmt::format("Tables present:    {}{}{}\n", i.live_table ? "LIVE" : "",
                         i.live_table && i.inactive_table ? " & " : "",
                         i.inactive_table ? "INACTIVE" : "");
    o += fmt::format("Open count:        {}\n", i.open_count);
    o += fmt::format("Event number:      {}\n", i.event_nr);
    o += fmt::format("Major, minor:      {}, {}\n", i.devt.major, i.devt.minor);
    o += fmt::format("Number of targets: {}\n", i.target_count);
    if (!i.uuid.empty()) o += fmt::format("UUID: {}\n", i.uuid);
    o += '\n';
}

namespace {

// _display_info_cols: one report row, with the device's dependencies when a field needs them.
asio::awaitable<bool> display_info_cols(Session& s, const emu::DmInfo& info) {
    ReportObject obj;
    obj.info = info;
    obj.split = split_name(info.uuid, info.name, '-');
    obj.mangling = s.mangling;
    if (s.report->needs_tree()) {
        auto node = s.dep_tree ? s.dep_tree->find(info.devt) : std::nullopt;
        if (!node) {
            s.errorf("Cannot find node {}:{}.", info.devt.major, info.devt.minor);
            co_return false;
        }
        obj.tree = &*s.dep_tree;
        obj.tree_node = *node;
    }
    if (s.report->needs_deps()) {
        emu::DmRequest req;
        req.devt = info.devt;
        req.inactive = s.opts.inactive > 0;
        auto deps = co_await s.run(Task::deps, req);
        if (!deps || !deps->info.exists) {
            s.errorf("Cannot get deps for {}:{}.", info.devt.major, info.devt.minor);
            co_return false;
        }
        obj.deps = deps->deps;
        for (const auto& d : obj.deps) {
            auto name = co_await s.device_name(d, true);
            if (!name) {
                s.errorf("Could not resolve block device name for {}:{}.", d.major, d.minor);
                co_return false;
            }
            obj.dep_blk_names.push_back(*name);
        }
    }
    if (s.report->uses("read_ahead") && !info.read_ahead) report_missing_node(s, info);
    co_return s.report->add(obj, &s.err);
}

}  // namespace

asio::awaitable<bool> display_info(Session& s, const emu::DmReply& reply) {
    if (!reply.info.exists) {
        s.error("Device does not exist.");
        co_return false;
    }
    if (!s.opts.columns || !s.report) {
        display_info_long(s, reply.info);
        co_return true;
    }
    co_return co_await display_info_cols(s, reply.info);
}

}  // namespace dmemu::dmsetup
