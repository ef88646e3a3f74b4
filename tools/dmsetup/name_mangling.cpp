// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/name_mangling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace dmemu::dmsetup {

namespace {

// _is_whitelisted_char: dm accepts any character; the list is udev's.
bool whitelisted(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           std::string_view("#+-.:=@_").find(c) != std::string_view::npos;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    const char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l >= 'a' && l <= 'f') return l - 'a' + 10;
    return -1;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

std::optional<Mangling> parse_mangling(std::string_view word) {
    if (iequals(word, "none")) return Mangling::none;
    if (iequals(word, "auto")) return Mangling::automatic;
    if (iequals(word, "hex")) return Mangling::hex;
    return std::nullopt;
}

bool multiple_mangling_allowed(std::string_view str, std::string_view what, Mangling mode,
                               std::string* err) {
    if (mode != Mangling::automatic || str.find("\\x5cx") == std::string_view::npos) return true;
    *err += fmt::format(
        "The {} \"{}\" seems to be mangled more than once. This is not allowed in auto mode.\n",
        what, str);
    return false;
}

MangleResult mangle_string(std::string_view str, std::string_view what, std::size_t buf_len,
                           Mangling mode, std::string* err) {
    MangleResult r;
    r.out = std::string(str);
    if (str.empty()) return r;
    if (mode == Mangling::none) mode = Mangling::automatic;
    const auto mixed = [&] {
        *err += fmt::format(
            "The {} \"{}\" contains mixed mangled and unmangled characters or it's already "
            "mangled improperly.\n",
            what, str);
        return MangleResult{false, false, {}};
    };
    const auto too_long = [&] {
        *err += fmt::format("Mangled form of the {} too long for \"{}\".\n", what, str);
        return MangleResult{false, false, {}};
    };
    int need_mangling = -1;  // -1 not known yet, 0 no (already mangled), 1 yes
    std::string buf;
    for (std::size_t i = 0; i < str.size(); ++i) {
        const char c = str[i];
        if (mode == Mangling::automatic && c == '\\' && i + 1 < str.size() && str[i + 1] == 'x') {
            // An already mangled "\xNN" is kept; mixed with raw characters it is an error.
            if (str.size() - i < 4 || need_mangling == 1) return mixed();
            if (buf_len - buf.size() < 4) return too_long();
            buf.append(str.substr(i, 4));
            i += 3;
            need_mangling = 0;
            continue;
        }
        if (whitelisted(c)) {
            if (buf_len - buf.size() < 1) return too_long();
            buf.push_back(c);
            continue;
        }
        if (mode != Mangling::hex && need_mangling == 0) return mixed();
        if (buf_len - buf.size() < 4) return too_long();
        buf += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        need_mangling = 1;
    }
    if (buf_len - buf.size() < 1) return too_long();  // no room for the NUL
    if (need_mangling == 1) {
        r.changed = true;
        r.out = std::move(buf);
    }
    return r;
}

MangleResult unmangle_string(std::string_view str, std::string_view what, Mangling mode,
                             std::string* err) {
    MangleResult r;
    r.out = std::string(str);
    if (str.empty()) return r;
    const bool strict = mode != Mangling::none;
    std::string buf;
    for (std::size_t i = 0; i < str.size(); ++i) {
        const char c = str[i];
        if (strict && !(whitelisted(c) || c == '\\')) {
            *err += fmt::format(
                "The {} \"{}\" should be mangled but it contains blacklisted characters.\n", what,
                str);
            return MangleResult{false, false, {}};
        }
        if (c == '\\' && i + 1 < str.size() && str[i + 1] == 'x') {
            // sscanf("%2x"): one or two hex digits; none is a mismatch, which libdm only
            // logs at debug level, leaving the string as it was.
            const int hi = i + 2 < str.size() ? hex_value(str[i + 2]) : -1;
            if (hi < 0) break;
            const int lo = i + 3 < str.size() ? hex_value(str[i + 3]) : -1;
            buf.push_back(static_cast<char>(lo < 0 ? hi : hi * 16 + lo));
            i += 3;  // libdm skips "\xN" and the loop one more, whatever the digits were
            r.changed = true;
        } else {
            buf.push_back(c);
        }
    }
    if (r.changed) r.out = std::move(buf);
    return r;
}

bool unmangle_reply_string(std::string& str, std::string_view what, Mangling mode,
                           std::string* err) {
    if (mode == Mangling::none) return true;
    if (!multiple_mangling_allowed(str, what, mode, err)) return false;
    MangleResult r = unmangle_string(str, what, mode, err);
    if (!r.ok) return false;
    if (r.changed) str = std::move(r.out);
    return true;
}

}  // namespace dmemu::dmsetup
