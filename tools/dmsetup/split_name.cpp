// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/split_name.hpp"

namespace dmemu::dmsetup {

namespace {

// libdm-string.c _unquote: the component up to the first single '-' with "--" made '-';
// `rest` gets what follows that dash (empty when there is none).
std::string unquote(std::string_view s, std::string_view* rest) {
    std::string out;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == '-') {
            if (s[i + 1] != '-') break;
            ++i;
        }
        out.push_back(s[i]);
    }
    *rest = i < s.size() ? s.substr(i + 1) : std::string_view();
    return out;
}

}  // namespace

SplitName split_name(std::string_view uuid, std::string_view name, char separator) {
    SplitName r;
    // _extract_uuid_prefix: no separator means no prefix at all.
    const auto sep = uuid.find(separator);
    if (separator == '\0')
        r.subsystem = std::string(uuid);
    else if (sep != std::string_view::npos)
        r.subsystem = std::string(uuid.substr(0, sep));
    if (r.subsystem != "LVM") return r;
    std::string_view rest = name;
    r.vg_name = unquote(rest, &rest);
    r.lv_name = unquote(rest, &rest);
    r.lv_layer = unquote(rest, &rest);
    return r;
}

}  // namespace dmemu::dmsetup
