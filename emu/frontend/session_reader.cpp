// SPDX-License-Identifier: GPL-2.0-only
#define FUSE_USE_VERSION FUSE_MAKE_VERSION(3, 12)
#include "emu/frontend/session_reader.hpp"

#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>

#include "emu/frontend/fuse_state.hpp"
#include "emu/frontend/on_loop.hpp"
#include "emu/io/completion_batch.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

// Requests processed per wake-up before the loop runs its other work (completions, the control
// socket): enough to amortize the epoll round trip, few enough to stay fair.
constexpr int kBatch = 32;
// What libfuse reads at most: 256 pages of data and a 4 KiB header (se->bufsize).
std::size_t receive_bytes() { return 256 * static_cast<std::size_t>(::getpagesize()) + 4096; }

}  // namespace

SessionReader::SessionReader(fuse_session* se, std::shared_ptr<FuseState> state)
    : se_(se), state_(std::move(state)), readable_(state_->loop_) {
    const int fd = fuse_session_fd(se_);
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);  // shared with the dup below
    readable_.assign(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

void SessionReader::start() {
    asio::post(state_->loop_, [self = shared_from_this()] { self->wait_readable(); });
}

void SessionReader::wait_readable() {
    if (stopped_) return;
    readable_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [self = shared_from_this()](const boost::system::error_code& ec) {
                             if (!ec) self->read_batch(kBatch);
                         });
}

void SessionReader::read_batch(int left) {
    FuseState& s = *state_;
    const std::size_t need = receive_bytes();
    // Completions that a request's work queues run right after its handler, in this step
    // (completion_batch.hpp): a write's answer leaves without waiting for a reactor pass.
    CompletionBatch completions(s.loop_);
    for (; left > 0 && !stopped_; --left) {
        if (s.receiving_.data() == nullptr || s.receiving_.capacity() < need)
            s.receiving_ = s.buffers_.take(need);
        fuse_buf buf{};
        buf.mem = s.receiving_.data();
        buf.size = s.receiving_.capacity();
        const int n = fuse_session_receive_buf(se_, &buf);
        if (n == -EAGAIN || n == -EINTR) break;
        if (n <= 0) {  // unmounted (ENODEV), or the session was told to exit
            stop_on_loop();
            return;
        }
        const std::size_t pending = s.replies_->pending();
        // Handlers run here, on the loop; a write may take s.receiving_ as its data.
        fuse_session_process_buf(se_, &buf);
        completions.run();
        if (s.replies_->pending() > pending && left > 1) {
            asio::post(s.loop_, [self = shared_from_this(), left] { self->read_batch(left - 1); });
            return;
        }
    }
    wait_readable();
}

void SessionReader::stop_on_loop() {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ec;
    readable_.cancel(ec);
    readable_.close(ec);
}

void SessionReader::stop() {
    run_on_loop(state_->loop_, [this] { stop_on_loop(); });
}

}  // namespace dmemu::emu
