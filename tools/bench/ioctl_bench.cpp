// SPDX-License-Identifier: GPL-2.0-only
// Control requests per second, two ways into the same daemon (tools/bench/ioctl.sh):
//   ioctl  DM_DEV_STATUS on /dev/mapper/control, run under `dmemu exec` (preload library, binary
//          endpoint): what libdevmapper costs per ioctl
//   json   the same request as dmemu-setup's JSON line on DIR/control.sock, one connection
// Prints "MODE N seconds"; both loops check every answer.
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int ioctl_loop(const std::string& name, long n) {
    const int fd = ::open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        std::perror("ioctl_bench: /dev/mapper/control (run under dmemu exec)");
        return 1;
    }
    std::vector<unsigned char> buf(16384);
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
        std::memset(buf.data(), 0, sizeof(dm_ioctl));
        auto* dmi = reinterpret_cast<dm_ioctl*>(buf.data());
        dmi->version[0] = 4;
        dmi->data_size = static_cast<std::uint32_t>(buf.size());
        dmi->data_start = sizeof(dm_ioctl);
        std::snprintf(dmi->name, sizeof dmi->name, "%s", name.c_str());
        if (::ioctl(fd, DM_DEV_STATUS, dmi) != 0 || !(dmi->flags & DM_ACTIVE_PRESENT_FLAG)) {
            std::perror("ioctl_bench: DM_DEV_STATUS");
            return 1;
        }
    }
    std::printf("ioctl %ld %.6f\n", n, seconds_since(t0));
    ::close(fd);
    return 0;
}

int json_loop(const std::string& dir, const std::string& name, long n) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s/control.sock", dir.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        std::perror("ioctl_bench: control.sock");
        return 1;
    }
    const std::string line = R"({"cmd":"dev_status","name":")" + name + "\"}\n";
    std::string in;
    char chunk[65536];
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
        std::size_t nl;
        while ((nl = in.find('\n')) == std::string::npos) {
            const ssize_t got = ::read(fd, chunk, sizeof chunk);
            if (got <= 0) return 1;
            in.append(chunk, static_cast<std::size_t>(got));
        }
        if (in.compare(0, 10, R"({"data_out)") != 0 &&
            in.find(R"("error":0)") == std::string::npos) {
            std::fprintf(stderr, "ioctl_bench: unexpected reply %s\n", in.substr(0, nl).c_str());
            return 1;
        }
        in.erase(0, nl + 1);
    }
    std::printf("json %ld %.6f\n", n, seconds_since(t0));
    ::close(fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"control requests per second through the preload library or the JSON socket"};
    std::string mode, dir, name = "b";
    long n = 20000;
    app.add_option("mode", mode, "ioctl | json")
        ->required()
        ->check(CLI::IsMember({"ioctl", "json"}));
    app.add_option("--dir", dir, "the daemon's DIR (json)");
    app.add_option("--name", name, "device to query");
    app.add_option("-n", n, "requests");
    CLI11_PARSE(app, argc, argv);
    return mode == "ioctl" ? ioctl_loop(name, n) : json_loop(dir, name, n);
}
