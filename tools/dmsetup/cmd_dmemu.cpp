// SPDX-License-Identifier: GPL-2.0-only
// dmemu's own commands, beside dmsetup's:
//   disk add NAME (--size SIZE | --file PATH) [--devno MAJ:MIN]   a RAM or file-backed disk
//   disk ls                                                       the disks, one per line
//   disk rm NAME
//   dmesg                                                         the kernel log ring
// SIZE is bytes, or a number with a suffix s (512-byte sectors), K, M, G, T (powers of 1024,
// "KiB"/"KB" spellings accepted); it must be a whole number of sectors.
// `disk ls` prints "NAME DEVNO SECTORS OPEN FILE" columns under a heading ("-" for RAM disks),
// or "No disks found". Errors are printed as the daemon words them and exit 1.
#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "tools/dmsetup/commands.hpp"
#include "tools/dmsetup/errno_text.hpp"
#include "tools/dmsetup/usage.hpp"

namespace dmemu::dmsetup {

namespace asio = boost::asio;
using emu::DmCommand;
using emu::DmRequest;

namespace {

std::optional<emu::Sector> parse_size(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == 0 || i > 19) return std::nullopt;
    const std::uint64_t n = std::strtoull(std::string(s.substr(0, i)).c_str(), nullptr, 10);
    std::string suffix(s.substr(i));
    for (char& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::uint64_t unit = 0;
    if (suffix.empty() || suffix == "b")
        unit = 1;
    else if (suffix == "s")
        unit = 512;
    else {
        const std::string rest = suffix.substr(1);
        if (!rest.empty() && rest != "b" && rest != "ib") return std::nullopt;
        const std::string_view units = "kmgt";
        const auto pos = units.find(suffix[0]);
        if (pos == std::string_view::npos) return std::nullopt;
        unit = 1ull << (10 * (pos + 1));
    }
    if (n > UINT64_MAX / unit) return std::nullopt;
    const std::uint64_t bytes = n * unit;
    if (bytes == 0 || bytes % 512 != 0) return std::nullopt;
    return bytes / 512;
}

std::optional<emu::DevT> parse_devno(std::string_view s) {
    const auto colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (i != colon && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    return emu::DevT{static_cast<std::uint32_t>(
                         std::strtoul(std::string(s.substr(0, colon)).c_str(), nullptr, 10)),
                     static_cast<std::uint32_t>(
                         std::strtoul(std::string(s.substr(colon + 1)).c_str(), nullptr, 10))};
}

asio::awaitable<int> disk_add(Session& s, const std::vector<std::string>& words,
                              const std::vector<std::pair<std::string, std::string>>& opts) {
    if (words.size() != 1) {
        s.error("disk add: exactly one disk name is required");
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::disk_add;
    req.name = words[0];
    for (const auto& [key, value] : opts) {
        if (key == "size") {
            auto sectors = parse_size(value);
            if (!sectors) {
                s.errorf("disk add: invalid size '{}' (a whole number of 512-byte sectors)", value);
                co_return 1;
            }
            req.size_sectors = *sectors;
        } else if (key == "file") {
            req.file = value;
        } else if (key == "devno") {
            req.devt = parse_devno(value);
            if (!req.devt) {
                s.errorf("disk add: invalid device number '{}' (MAJ:MIN)", value);
                co_return 1;
            }
        }
    }
    if (req.size_sectors == 0 && req.file.empty()) {
        s.error("disk add: --size or --file is required");
        co_return 1;
    }
    const auto reply = co_await s.channel().call(req);
    co_return reply.error ? dmemu_command_failed(s, reply, "disk add " + req.name) : 0;
}

asio::awaitable<int> disk_ls(Session& s) {
    DmRequest req;
    req.cmd = DmCommand::disk_list;
    const auto reply = co_await s.channel().call(req);
    if (reply.error) co_return dmemu_command_failed(s, reply, "disk ls");
    if (reply.disks.empty()) {
        s.out += "No disks found\n";
        co_return 0;
    }
    std::size_t width = 16;
    for (const auto& d : reply.disks) width = std::max(width, d.name.size());
    s.out += fmt::format("{:<{}} {:<9} {:>12} {:>4} {}\n", "Name", width, "DevNo", "Sectors",
                         "Open", "File");
    for (const auto& d : reply.disks)
        s.out += fmt::format("{:<{}} {:<9} {:>12} {:>4} {}\n", d.name, width, d.devt.str(),
                             d.sectors, d.open_count, d.file.empty() ? "-" : d.file);
    co_return 0;
}

asio::awaitable<int> disk_rm(Session& s, const std::vector<std::string>& words) {
    if (words.size() != 1) {
        s.error("disk rm: exactly one disk name is required");
        co_return 1;
    }
    DmRequest req;
    req.cmd = DmCommand::disk_remove;
    req.name = words[0];
    const auto reply = co_await s.channel().call(req);
    co_return reply.error ? dmemu_command_failed(s, reply, "disk rm " + req.name) : 0;
}

asio::awaitable<int> dmesg(Session& s) {
    DmRequest req;
    req.cmd = DmCommand::dmesg;
    const auto reply = co_await s.channel().call(req);
    if (reply.error) co_return dmemu_command_failed(s, reply, "dmesg");
    for (const auto& line : reply.kernel_lines) s.out += line.text + "\n";
    co_return 0;
}

}  // namespace

int dmemu_command_failed(Session& s, const emu::DmReply& reply, std::string_view what) {
    if (!reply.detail.empty())
        s.error(reply.detail);
    else
        s.errorf("{}: {}", what, errno_text(reply.error));
    return 1;
}

asio::awaitable<int> run_dmemu_command(Session& s, const std::vector<std::string>& argv) {
    std::vector<std::string> words;
    std::vector<std::pair<std::string, std::string>> opts;
    bool help = false;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        if (a == "-h" || a == "--help") {
            help = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) {
            // A dmsetup flag before the word (`-v disk add`) is not a word: name it, as `fault`
            // does.
            if (a.size() > 1 && a[0] == '-') {
                s.errorf("{}: unknown option '{}'", words.empty() ? "dmemu" : words[0], a);
                co_return 1;
            }
            words.push_back(a);
            continue;
        }
        std::string key = a.substr(2), value;
        if (const auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key.resize(eq);
        } else if (i + 1 < argv.size()) {
            value = argv[++i];
        }
        if (key != "size" && key != "file" && key != "devno") {
            s.errorf("{}: unknown option '{}'", words.empty() ? "dmemu" : words[0], a);
            co_return 1;
        }
        opts.emplace_back(key, value);
    }
    if (help) {
        s.err += dmemu_commands_usage();
        co_return 0;
    }
    const std::string cmd = words.front();
    words.erase(words.begin());
    if (cmd == "dmesg") {
        if (!words.empty() || !opts.empty()) {
            s.error("dmesg: takes no arguments");
            co_return 1;
        }
        co_return co_await dmesg(s);
    }
    const std::string sub = words.empty() ? "" : words.front();
    if (!words.empty()) words.erase(words.begin());
    if (sub == "add") co_return co_await disk_add(s, words, opts);
    if ((sub == "ls" || sub == "rm") && !opts.empty()) {
        s.errorf("disk {}: takes no options", sub);
        co_return 1;
    }
    if (sub == "ls") {
        if (words.empty()) co_return co_await disk_ls(s);
        s.error("disk ls: takes no arguments");
        co_return 1;
    }
    if (sub == "rm") co_return co_await disk_rm(s, words);
    s.errorf("disk: unknown subcommand '{}'", sub);
    s.err += dmemu_commands_usage();
    co_return 1;
}

}  // namespace dmemu::dmsetup
