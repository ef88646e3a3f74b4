// SPDX-License-Identifier: GPL-2.0-only
// Threads that run file I/O for the loop, the role of the kernel's loop-device worker
// (drivers/block/loop.c): a FileDisk given one hands it each Bio's pread, pwrite, fdatasync or
// hole punch and goes on; the completion comes back to the loop as a post. A FileDisk's worker
// has one thread, so jobs run one at a time in the order they were handed over (each disk's
// Bios reach its file in submission order, as without a worker). The FUSE front end's splice
// threads are one with more (fuse_ops.cpp): their jobs are independent.
//
// Why: the FUSE front end serves on the loop, so a 1 MiB write cost the loop two copies in a
// row (out of /dev/fuse, then into the file); with the second on this thread the loop reads the
// next request meanwhile (docs/performance.md). The thread touches no emulator state:
// only the file descriptor and the Bio's buffer, which its submitter keeps until done().
//
// Threads: post() from the loop; destruction (which runs what is queued, then joins) once no
// one posts any more.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <utility>

namespace dmemu::emu {

class IoWorker {
public:
    // Work on fewer bytes than this costs the loop more to hand over (a thread's wake-up) than to
    // do itself: handed over, 4 KiB random I/O lost 10 % (file Bios) and 40 % (spliced replies);
    // 1 MiB transfers gained 50 % and more.
    static constexpr std::size_t kWorthHandingOver = 64u << 10;

    explicit IoWorker(std::size_t threads = 1) : count_(threads), threads_(threads) {}
    ~IoWorker();
    IoWorker(const IoWorker&) = delete;
    IoWorker& operator=(const IoWorker&) = delete;

    std::size_t threads() const { return count_; }
    // `job` may be move-only.
    template <class Job>
    void post(Job&& job) {
        boost::asio::post(threads_, std::forward<Job>(job));
    }

private:
    std::size_t count_;
    boost::asio::thread_pool threads_;
};

}  // namespace dmemu::emu
