// SPDX-License-Identifier: GPL-2.0-only
// dmemu-setup: dmsetup for a running dmemu daemon.
//
//   dmemu-setup [--dir DIR] <dmsetup command line>
//
// DIR (or $DMEMU_DIR) is the directory given to `dmemu start`; the daemon listens on
// DIR/control.sock. Everything after --dir is dmsetup's command line, with dmsetup's output and
// exit codes (docs/cli.md).
#include "tools/dmsetup/dmsetup.hpp"
#include "tools/dmsetup/socket_channel.hpp"

// clang-format off
#include <utility>  // boost 1.74 awaitable.hpp uses std::exchange without it
// clang-format on
#include <langinfo.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>

namespace {

constexpr const char* kProgram = "dmemu-setup";

// Takes "--dir DIR" / "--dir=DIR" out of argv (anywhere before "--").
std::optional<std::string> take_dir(std::vector<std::string>& args, std::string* error) {
    std::optional<std::string> dir;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--") break;
        if (args[i] == "--dir") {
            if (i + 1 >= args.size()) {
                *error = "option '--dir' requires an argument";
                return std::nullopt;
            }
            dir = args[i + 1];
            args.erase(args.begin() + static_cast<long>(i),
                       args.begin() + static_cast<long>(i) + 2);
            --i;
        } else if (args[i].rfind("--dir=", 0) == 0) {
            dir = args[i].substr(6);
            args.erase(args.begin() + static_cast<long>(i));
            --i;
        }
    }
    return dir;
}

// What dmsetup learns about its stdout in _process_tree_options: the window width, and whether
// setlocale(LC_ALL, "") gives a UTF-8 codeset. Asked of a locale object so that nothing else
// in the program changes locale.
dmemu::dmsetup::Terminal terminal_of_stdout() {
    dmemu::dmsetup::Terminal t;
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) >= 0) t.columns = ws.ws_col;
    if (locale_t loc = newlocale(LC_ALL_MASK, "", nullptr)) {
        t.utf8 = std::strcmp(nl_langinfo_l(CODESET, loc), "UTF-8") == 0;
        freelocale(loc);
    }
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string error;
    std::optional<std::string> dir = take_dir(args, &error);
    if (!error.empty()) {
        std::cerr << kProgram << ": " << error << "\n";
        return 1;
    }
    if (!dir)
        if (const char* env = std::getenv("DMEMU_DIR"); env && *env) dir = env;
    if (!dir) dir = ".";  // only used once a command needs the daemon

    dmemu::dmsetup::SocketChannel channel(*dir, kProgram);
    boost::asio::io_context ctx(1);
    dmemu::dmsetup::DmsetupResult result;
    std::function<std::string()> read_stdin = [] {
        return std::string(std::istreambuf_iterator<char>(std::cin),
                           std::istreambuf_iterator<char>());
    };
    boost::asio::co_spawn(
        ctx, dmemu::dmsetup::run_dmsetup(channel, args, read_stdin, terminal_of_stdout()),
        [&](std::exception_ptr e, dmemu::dmsetup::DmsetupResult r) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    r.err += std::string(kProgram) + ": " + ex.what() + "\n";
                    r.exit_code = 1;
                }
            }
            result = std::move(r);
        });
    ctx.run();
    std::cout << result.out << std::flush;
    std::cerr << result.err << std::flush;
    return result.exit_code;
}
