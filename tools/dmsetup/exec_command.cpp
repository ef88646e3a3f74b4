// SPDX-License-Identifier: GPL-2.0-only
#include "tools/dmsetup/exec_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <vector>

extern char** environ;

namespace dmemu::dmsetup {
namespace {

constexpr std::size_t kArgsMax = 256;  // dmsetup.c ARGS_MAX

std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        if (i == line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
        words.push_back(line.substr(start, i - start));
    }
    return words;
}

// Reads both pipes to their ends, appending each to its string as it comes.
void drain(int out_fd, int err_fd, std::string& out, std::string& err) {
    std::array<pollfd, 2> fds{pollfd{out_fd, POLLIN, 0}, pollfd{err_fd, POLLIN, 0}};
    std::array<std::string*, 2> sinks{&out, &err};
    int open = 2;
    char buf[4096];
    while (open > 0) {
        if (::poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
    }
}

}  // namespace

bool exec_command(Session& s, const std::string& name) {
    std::vector<std::string> words = split_words(s.opts.exec.value_or(""));
    if (words.empty()) return false;
    if (words.size() >= kArgsMax) {
        s.error("Too many args to --exec.");
        return false;
    }
    const char* dev_dir = std::getenv("DM_DEV_DIR");
    words.push_back(std::string(dev_dir && *dev_dir ? dev_dir : "/dev") + "/mapper/" + name);
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);

    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) return false;
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        return false;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    pid_t pid = -1;
    // posix_spawnp fails when the program cannot be run, where dmsetup's child exits 127
    // unseen: either way nothing is printed and the command goes on.
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (rc == 0) drain(out_pipe[0], err_pipe[0], s.out, s.err);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    if (rc == 0)
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    return true;
}

}  // namespace dmemu::dmsetup
