// SPDX-License-Identifier: GPL-2.0-only
// A thread that runs file I/O for the loop, the role of the kernel's loop-device worker
// (drivers/block/loop.c): a FileDisk given one hands it each Bio's pread, pwrite, fdatasync or
// hole punch and goes on; the completion comes back to the loop as a post. One thread, so jobs
// run one at a time in the order they were handed over (each disk's Bios reach its file in
// submission order, as without a worker).
//
// Why: the FUSE front end serves on the loop, so a 1 MiB write cost the loop two copies in a
// row (out of /dev/fuse, then into the file); with the second on this thread the loop reads the
// next request meanwhile (docs/fuse.md, "Performance"). The thread touches no emulator state:
// only the file descriptor and the Bio's buffer, which its submitter keeps until done().
//
// Threads: post() from the loop; destruction (which runs what is queued, then joins) once no
// FileDisk uses the worker any more.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>

namespace dmemu::emu {

class IoWorker {
public:
    IoWorker() = default;
    ~IoWorker();
    IoWorker(const IoWorker&) = delete;
    IoWorker& operator=(const IoWorker&) = delete;

    void post(std::function<void()> job);

private:
    boost::asio::thread_pool thread_{1};
};

}  // namespace dmemu::emu
