// SPDX-License-Identifier: GPL-2.0-only
// udevcomplete_all (dmsetup.c _udevcomplete_all): destroys the System V semaphores that libdm's
// udev synchronisation leaves behind, those whose key carries DM_COOKIE_MAGIC (0x0D4D) in its
// upper 16 bits, after asking unless --yes.
//
// dmemu's devices never make one: there is no udev here (the nodes are the FUSE front end's), and
// dmemu-setup never creates a cookie. So the command finds none, and it does not touch the
// host's semaphores, which belong to whatever uses the host's real device-mapper. The prompt,
// its answers and the lines printed are dmsetup's.
#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "tools/dmsetup/commands.hpp"

namespace dmemu::dmsetup {
namespace {

constexpr unsigned kCookieMagic = 0x0D4D;  // libdevmapper.h DM_COOKIE_MAGIC

// _yes_no_prompt over standard input: the prompt again after each line without an answer; the
// last y or n of a line is the answer; end of input is no (and ends the prompt's line).
char yes_no_prompt(Session& s, const char* prompt) {
    const std::string& in = s.stdin_text();
    std::size_t at = 0;
    int c = 0;
    char answer = 0;
    do {
        if (c == '\n' || c == 0) s.out += prompt;
        if (at == in.size()) {
            answer = 'n';
            c = EOF;
            break;
        }
        c = std::tolower(static_cast<unsigned char>(in[at++]));
        if (c == 'y' || c == 'n') answer = static_cast<char>(c);
    } while (answer == 0 || c != '\n');
    if (c != '\n') s.out += '\n';
    return answer;
}

}  // namespace

boost::asio::awaitable<bool> cmd_udevcomplete_all(Session& s, CommandCall call) {
    unsigned age = 0;
    if (call.argv.size() == 1 && std::sscanf(call.argv[0].c_str(), "%u", &age) != 1) {
        s.error("Failed to read age_in_minutes parameter.");
        co_return false;
    }
    if (!s.opts.yes) {
        // "%s%.0d%s": an age of 0 prints nothing at all.
        s.errorf(
            "WARNING: This operation will destroy all semaphores {}{}{}with keys that have a "
            "prefix {} (0x{:x}).",
            age ? "older than " : "", age ? std::to_string(age) : "", age ? " minutes " : "",
            kCookieMagic, kCookieMagic);
        if (yes_no_prompt(s, "Do you really want to continue? [y/n]: ") == 'n') {
            s.out += fmt::format("Semaphores with keys prefixed by {} (0x{:x}) NOT destroyed.\n",
                                 kCookieMagic, kCookieMagic);
            co_return true;
        }
    }
    s.out += fmt::format("0 semaphores with keys prefixed by {} (0x{:x}) destroyed. 0 skipped.\n",
                         kCookieMagic, kCookieMagic);
    co_return true;
}

}  // namespace dmemu::dmsetup
