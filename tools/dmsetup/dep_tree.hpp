// SPDX-License-Identifier: GPL-2.0-only
// libdm's dependency tree (libdm-deptree.c, struct dm_tree) as dmsetup builds it for `ls --tree`
// and the tree_ report fields (_build_whole_deptree: dm_tree_add_dev for every device).
//
// Every node is a device; node 0 is libdm's root (0:0, no name). A node's `uses` are the devices
// its live table depends on, in the kernel's deps order, and `used_by` the mapped devices on top
// of it. A device nothing uses hangs from the root (root.uses: the "top level"); a device that
// uses nothing, a disk or a dm device without deps, points back to the root (root.used_by: the
// "bottom level"). The list orders are libdm's, because both the tree and the report print them.
#pragma once

#include "emu/core/dm_ioctl.hpp"

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace dmemu::dmsetup {

class Session;

struct DepTreeNode {
    std::string name;  // "" for a device that is not a mapped device, and for the root
    std::string uuid;
    emu::DmInfo info;  // exists only for mapped devices; devt always
    std::vector<std::size_t> uses;
    std::vector<std::size_t> used_by;
};

class DepTree {
public:
    static constexpr std::size_t kRoot = 0;

    DepTree();

    std::size_t size() const { return nodes_.size(); }  // the root included
    const DepTreeNode& node(std::size_t i) const { return nodes_[i]; }
    std::optional<std::size_t> find(emu::DevT devt) const;
    // dm_tree_next_child's list: what `i` uses, or with inverted what uses it.
    const std::vector<std::size_t>& children(std::size_t i, bool inverted) const;
    // dm_tree_node_num_children: 0 for a node whose list only leads back to the root.
    std::size_t num_children(std::size_t i, bool inverted) const;

    // dm_tree_add_dev: the device and, recursively, what it depends on (one DEPS ioctl per
    // mapped device not yet in the tree). dm_major tells mapped devices from disks, as
    // dm_is_dm_major does. False after the failed ioctl's error line.
    boost::asio::awaitable<bool> add_dev(Session& s, emu::DevT devt, std::uint32_t dm_major);

private:
    boost::asio::awaitable<std::optional<std::size_t>> add_dev(Session& s, std::size_t parent,
                                                               emu::DevT devt,
                                                               std::uint32_t dm_major);
    bool linked(std::size_t parent, std::size_t child) const;
    void link(std::size_t parent, std::size_t child);
    void unlink(std::size_t parent, std::size_t child);
    void link_tree_nodes(std::size_t parent, std::size_t child);

    std::vector<DepTreeNode> nodes_;
};

struct BuiltDepTree {
    DepTree tree;
    bool ok = true;  // false after an ioctl failed; the tree holds what was added until then
};

// _build_whole_deptree: every device of the device list added from the root, in list order
// ("No devices found" when there is none, as _process_all says it). Like libdm's, a tree left
// incomplete by a failed ioctl is still returned: dmsetup shows it and then fails.
boost::asio::awaitable<BuiltDepTree> build_whole_deptree(Session& s);

}  // namespace dmemu::dmsetup
