// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/dep_tree.hpp"

#include <algorithm>

#include "tools/dmsetup/session.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;

namespace {

// Named, not a temporary (see cmd_query.cpp: GCC 12 and prvalue coroutine arguments).
const emu::DmRequest kNoDevice;

}  // namespace

DepTree::DepTree() { nodes_.emplace_back(); }

std::optional<std::size_t> DepTree::find(emu::DevT devt) const {
    for (std::size_t i = 1; i < nodes_.size(); ++i)
        if (nodes_[i].info.devt == devt) return i;
    return std::nullopt;
}

const std::vector<std::size_t>& DepTree::children(std::size_t i, bool inverted) const {
    return inverted ? nodes_[i].used_by : nodes_[i].uses;
}

std::size_t DepTree::num_children(std::size_t i, bool inverted) const {
    if (inverted) return linked(kRoot, i) ? 0 : nodes_[i].used_by.size();
    return linked(i, kRoot) ? 0 : nodes_[i].uses.size();
}

bool DepTree::linked(std::size_t parent, std::size_t child) const {
    const auto& uses = nodes_[parent].uses;
    return std::find(uses.begin(), uses.end(), child) != uses.end();
}

// _link_nodes: appended, as dm_list_add does, so lists keep the order links were made in.
void DepTree::link(std::size_t parent, std::size_t child) {
    if (linked(parent, child)) return;
    nodes_[parent].uses.push_back(child);
    nodes_[child].used_by.push_back(parent);
}

void DepTree::unlink(std::size_t parent, std::size_t child) {
    if (!linked(parent, child)) return;
    auto& uses = nodes_[parent].uses;
    uses.erase(std::find(uses.begin(), uses.end(), child));
    auto& used_by = nodes_[child].used_by;
    used_by.erase(std::find(used_by.begin(), used_by.end(), parent));
}

// _link_tree_nodes: a device leaves the top level once something uses it and is not put back
// there when it already has a user; likewise for the bottom level and its dependencies.
void DepTree::link_tree_nodes(std::size_t parent, std::size_t child) {
    if (parent == kRoot) {
        if (num_children(child, true)) return;
    } else {
        unlink(kRoot, child);
    }
    if (child == kRoot) {
        if (num_children(parent, false)) return;
    } else {
        unlink(parent, kRoot);
    }
    link(parent, child);
}

asio::awaitable<bool> DepTree::add_dev(Session& s, emu::DevT devt, std::uint32_t dm_major) {
    co_return (co_await add_dev(s, kRoot, devt, dm_major)).has_value();
}

// _add_dev with _deps.
asio::awaitable<std::optional<std::size_t>> DepTree::add_dev(Session& s, std::size_t parent,
                                                             emu::DevT devt,
                                                             std::uint32_t dm_major) {
    if (auto existing = find(devt)) {
        link_tree_nodes(parent, *existing);
        co_return existing;  // already in the tree: its dependencies are too
    }
    DepTreeNode node;
    node.info.devt = devt;
    std::vector<emu::DevT> deps;
    if (devt.major == dm_major) {
        emu::DmRequest req;
        req.devt = devt;
        auto reply = co_await s.run(Task::deps, req);
        if (!reply) co_return std::nullopt;
        if (reply->info.exists) {
            node.info = reply->info;
            node.name = reply->info.name;
            node.uuid = reply->info.uuid;
            deps = reply->deps;
        }
    }
    const std::size_t index = nodes_.size();
    nodes_.push_back(std::move(node));
    link_tree_nodes(parent, index);
    if (!nodes_[index].info.exists || deps.empty()) {
        link_tree_nodes(index, kRoot);
        co_return index;
    }
    for (const auto& d : deps)
        if (!co_await add_dev(s, index, d, dm_major)) co_return std::nullopt;
    co_return index;
}

asio::awaitable<BuiltDepTree> build_whole_deptree(Session& s) {
    BuiltDepTree built;
    auto list = co_await s.run(Task::names, kNoDevice);
    if (!list) {
        built.ok = false;
        co_return built;
    }
    if (list->names.empty()) {
        s.out += "No devices found\n";
        co_return built;
    }
    for (const auto& entry : list->names)
        if (!co_await built.tree.add_dev(s, entry.devt, entry.devt.major)) built.ok = false;
    co_return built;
}

}  // namespace dmemu::dmsetup
