// SPDX-License-Identifier: GPL-2.0-only
// What the preload tests share: a DIR laid out as the daemon lays it out (tools/preload/preload.h)
// with regular files standing in for the FUSE files, a fake daemon answering the framing of
// emu/ioctl/ioctl_wire.h on DIR/ioctl.sock, and running programs under LD_PRELOAD with a
// timeout, so no test depends on the daemon and none can hang.
//
// The DIR: disk ram0 (1:0, 16 MiB, /dev/ram0), dm device lin (253:0, dm-0, 1 MiB, every byte
// 0xff, node /dev/mapper/lin), dm device empty (253:1, dm-1, no table: no DIR/dev/block entry).
//
// In a sanitized build (ASan) the library can only be preloaded into sanitized programs:
// such a build runs the probe and skips the host's programs (stat, dd, dmsetup), saying so.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dmemu::preload_test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

#define DMEMU_SKIP_IF_SANITIZED(what)                                                    \
    do {                                                                                 \
        if (::dmemu::preload_test::kSanitized)                                           \
            GTEST_SKIP() << "sanitized build: the ASan-built preload library cannot be " \
                            "preloaded into " what "; the normal build runs this test";  \
    } while (0)

struct RunResult {
    std::string out, err;
    int exit_code = -1;  // -1: killed by a signal
    bool timed_out = false;
};

using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Runs argv (argv[0] looked up in PATH) in `cwd` (empty: ours) with the environment changed as
// given (nullopt: unset), killing it after `timeout`.
RunResult run(const std::vector<std::string>& argv, const EnvChanges& env,
              const std::string& cwd = {},
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A daemon's ioctl endpoint: DM_VERSION answers 4.47.0, DM_LIST_DEVICES an empty list, any
// other command -ENXIO with the version bytes. With hang_up it closes a connection on its
// first request instead.
class FakeIoctlServer {
public:
    struct Request {
        unsigned command, length;
    };
    FakeIoctlServer(const std::string& socket_path, bool hang_up);
    ~FakeIoctlServer();
    std::vector<Request> requests();

private:
    void loop();
    bool serve(int fd);

    int listen_fd_ = -1;
    int stop_[2] = {-1, -1};
    bool hang_up_;
    std::mutex mutex_;
    std::vector<Request> requests_;
    std::thread thread_;
};

class PreloadTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    void start_server(bool hang_up = false);
    // DIR/ioctl.sock bound with nobody listening, as a crashed daemon leaves it.
    void leave_stale_socket();
    // The environment `dmemu exec` gives its command (LD_PRELOAD, DMEMU_DIR, DM_DISABLE_UDEV).
    EnvChanges preload_env() const;
    RunResult under_preload(const std::vector<std::string>& argv) {
        return run(argv, preload_env());
    }
    RunResult probe(const std::vector<std::string>& args);
    std::string dir() const { return dir_.string(); }
    // The stand-in for a device's FUSE file.
    std::filesystem::path device_file(const std::string& rel) const { return dir_ / "mnt" / rel; }
    std::string read_text(const std::string& rel) const;

    std::filesystem::path dir_;
    std::unique_ptr<FakeIoctlServer> server_;
};

}  // namespace dmemu::preload_test
