// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/tree_display.hpp"

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <string_view>

namespace dmemu::dmsetup {

namespace {

// dmsetup's drawing sets (from pstree): _tsym_ascii, _tsym_utf, _tsym_vt100.
#define UTF_V "\342\224\202"  /* U+2502, vertical */
#define UTF_VR "\342\224\234" /* U+251C, vertical and right */
#define UTF_H "\342\224\200"  /* U+2500, horizontal */
#define UTF_UR "\342\224\224" /* U+2514, up and right */
#define UTF_HD "\342\224\254" /* U+252C, horizontal and down */
#define VT_BEG "\033(0\017"   /* use graphic chars */
#define VT_END "\033(B"       /* back to normal char set */

constexpr TreeSymbols kAscii = {"  ", "|-", "| ", "`-", "---", "-+-"};
constexpr TreeSymbols kUtf = {"  ",         UTF_VR UTF_H,      UTF_V " ",
                              UTF_UR UTF_H, UTF_H UTF_H UTF_H, UTF_H UTF_HD UTF_H};
// VT100's line-drawing set: t = vertical and right, q = horizontal, x = vertical, m = up and
// right, w = horizontal and down.
constexpr TreeSymbols kVt100 = {"  ",
                                VT_BEG "tq" VT_END,
                                VT_BEG "x" VT_END " ",
                                VT_BEG "mq" VT_END,
                                VT_BEG "qqq" VT_END,
                                VT_BEG "qwq" VT_END};

// dmsetup's MAX_DEPTH: deeper nodes are not shown.
constexpr unsigned kMaxDepth = 100;

// The _out_char family with its statics (_tree_width, _tree_more, _cur_x, _last_char).
class TreeWriter {
public:
    TreeWriter(const DepTree& tree, const TreeOptions& opts, const KernelName& kernel_name)
        : tree_(tree), opts_(opts), kernel_name_(kernel_name) {}

    std::string take() { return std::move(out_); }

    // _display_tree_walk_children
    void walk_children(std::size_t node, unsigned depth) {
        const auto& children = tree_.children(node, opts_.inverted);
        for (std::size_t k = 0; k < children.size(); ++k) {
            const std::size_t child = children[k];
            const bool has_children = tree_.num_children(child, opts_.inverted) != 0;
            display_node(child, depth, k + 1 == children.size(), has_children);
            if (has_children) walk_children(child, depth + 1);
        }
    }

private:
    // Counts columns by the first byte of each UTF-8 character. When truncating, the character
    // that lands one past the width is held back: printed if the line ends there, replaced by
    // "..." if more follows (a multi-byte one always means "...").
    void out_char(unsigned char c) {
        cur_x_ += (c & 0xc0) != 0x80;
        if (!opts_.truncate) {
            out_ += static_cast<char>(c);
            return;
        }
        if (cur_x_ <= opts_.width) out_ += static_cast<char>(c);
        if (cur_x_ == opts_.width + 1 && (c & 0xc0) != 0x80) {
            if (last_char_ || (c & 0x80)) {
                out_ += "...";
            } else {
                last_char_ = static_cast<char>(c);
                cur_x_--;
            }
        }
    }

    void out_string(std::string_view s) {
        for (char c : s) out_char(static_cast<unsigned char>(c));
    }

    void out_newline() {
        if (last_char_ && cur_x_ == opts_.width) out_ += last_char_;
        last_char_ = 0;
        out_ += '\n';
        cur_x_ = 1;
    }

    void out_prefix(unsigned depth) {
        const TreeSymbols& sym = *opts_.symbols;
        for (unsigned d = 0; d < depth; ++d) {
            for (int x = width_[d] + 1; x > 0; --x) out_char(' ');
            out_string(d == depth - 1 ? (!more_[depth] ? sym.last_2 : sym.branch_2)
                                      : (more_[d + 1] ? sym.vert_2 : sym.empty_2));
        }
    }

    // _display_tree_attributes
    void display_attributes(const DepTreeNode& n) {
        if (!n.info.exists) return;
        int attr = 0;
        const auto next = [&] { out_string(attr++ ? ", " : " ["); };
        if (opts_.active) {
            next();
            out_string(n.info.suspended ? "SUSPENDED" : "ACTIVE");
        }
        if (opts_.rw) {
            next();
            out_string(n.info.read_only ? "RO" : "RW");
        }
        if (opts_.open_count) {
            next();
            out_string(std::to_string(n.info.open_count));
        }
        if (opts_.uuid) {
            next();
            out_string(n.uuid);
        }
        if (attr) out_char(']');
    }

    // _display_tree_node. Every node but the root has a name, "" for a disk, so the
    // " <" and " (" forms are the ones that show; a nameless node is left out when neither
    // device nor blkdevname would identify it.
    void display_node(std::size_t index, unsigned depth, bool last_child, bool has_children) {
        if (depth + 2 > kMaxDepth) return;
        const DepTreeNode& n = tree_.node(index);
        if (n.name.empty() && !opts_.device && !opts_.blkdevname) return;
        const TreeSymbols& sym = *opts_.symbols;
        const bool compact = opts_.print_compact();
        more_[depth] = !last_child;
        width_[depth] = 0;
        const bool first_on_line = cur_x_ == 1;
        if (!compact || first_on_line) out_prefix(depth);
        const int offset = cur_x_;
        if (compact && !first_on_line) out_string(more_[depth] ? sym.first_3 : sym.single_3);
        out_string(n.name);
        if (opts_.blkdevname) {
            if (auto kname = kernel_name_(n.info.devt)) {
                out_string(" <");
                out_string(*kname);
                out_char('>');
            }
        }
        if (opts_.device) out_string(fmt::format(" ({}:{})", n.info.devt.major, n.info.devt.minor));
        if (opts_.print_attributes()) display_attributes(n);
        if (compact) width_[depth] = cur_x_ - offset;
        if (!compact || !has_children) out_newline();
        // _display_tree_targets draws nothing in 1.02.185; only its bookkeeping is kept.
        if (opts_.print_targets()) more_[depth + 1] = has_children;
    }

    const DepTree& tree_;
    const TreeOptions& opts_;
    const KernelName& kernel_name_;
    std::array<int, kMaxDepth> width_{};
    std::array<bool, kMaxDepth> more_{};
    int cur_x_ = 1;
    char last_char_ = 0;
    std::string out_;
};

}  // namespace

std::optional<TreeOptions> parse_tree_options(const std::optional<std::string>& words,
                                              const Terminal& terminal, std::string* error) {
    TreeOptions o;
    o.symbols = terminal.utf8 ? &kUtf : &kAscii;
    // Each word matches the first keyword it is a prefix of (strncmp over the word's length,
    // so an empty word is "device"); the error quotes the rest of the list from that word.
    const char* s = words ? words->c_str() : nullptr;
    for (; s && *s; ++s) {
        std::size_t len = 0;
        const char* end = s;
        for (; *end && *end != ','; ++end, ++len) {
        }
        const auto is = [&](const char* keyword) { return std::strncmp(s, keyword, len) == 0; };
        if (is("device"))
            o.device = true;
        else if (is("blkdevname"))
            o.blkdevname = true;
        else if (is("nodevice"))
            o.device = false;
        else if (is("status"))
            o.status = true;
        else if (is("table"))
            o.table = true;
        else if (is("active"))
            o.active = true;
        else if (is("open"))
            o.open_count = true;
        else if (is("uuid"))
            o.uuid = true;
        else if (is("rw"))
            o.rw = true;
        else if (is("utf"))
            o.symbols = &kUtf;
        else if (is("vt100"))
            o.symbols = &kVt100;
        else if (is("ascii"))
            o.symbols = &kAscii;
        else if (is("inverted"))
            o.inverted = true;
        else if (is("compact"))
            o.compact = true;
        else if (is("notrunc"))
            o.truncate = false;
        else {
            *error = fmt::format("Tree options not recognised: {}.", s);
            return std::nullopt;
        }
        if (!*end) break;
        s = end;
    }
    // "Truncation doesn't work well with vt100 drawing char": the width stays 80 then.
    if (o.symbols != &kVt100 && terminal.columns > 3) o.width = terminal.columns - 3;
    return o;
}

std::string display_tree(const DepTree& tree, const TreeOptions& opts,
                         const KernelName& kernel_name) {
    TreeWriter w(tree, opts, kernel_name);
    w.walk_children(DepTree::kRoot, 0);
    return w.take();
}

}  // namespace dmemu::dmsetup
