// SPDX-License-Identifier: GPL-2.0-only
#include "emu/core/kcopyd.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <memory>

#include "emu/util/wait_queue.hpp"

namespace dmemu::emu {
namespace asio = boost::asio;

// The master job: what the sub-jobs share (segment_complete's job->progress, the errors).
struct Kcopyd::Job {
    Job(asio::any_io_executor ex, KcopydRegion f, std::vector<KcopydRegion> t, Sector c, bool ign)
        : from(f), to(std::move(t)), count(c), ignore_errors(ign), idle(std::move(ex)) {}
    KcopydRegion from;
    std::vector<KcopydRegion> to;
    Sector count;
    bool ignore_errors;
    Sector progress = 0;
    unsigned sub_jobs = 0;
    KcopydResult result;
    WaitQueue idle;  // woken as each sub-job ends
};

// One chunk's pages, shared with its bios: a disk may complete one after the sub-job's frame is
// gone (a torn-down machine). (A member type, not a local one: a coroutine frame may not hold a
// type without linkage in a unity build.)
struct Kcopyd::Chunk {
    Chunk(asio::any_io_executor e, std::size_t bytes) : done(std::move(e)), buf(bytes) {}
    WaitQueue done;
    std::vector<std::byte> buf;
    std::size_t left = 0;
    unsigned long failed = 0;  // bit 0 for the read; bit i per destination for the write
};

void Kcopyd::submit_chunk_bio(const std::shared_ptr<Chunk>& c, BlockDevice& dev, BioOp op,
                              Sector sector, Sector sectors, unsigned long bit) {
    Bio bio;
    bio.op = op;
    bio.sector = sector;
    bio.sectors = sectors;
    bio.data = c->buf.data();
    bio.done = [c, bit](int err) {
        if (err != 0) c->failed |= bit;
        if (--c->left == 0) c->done.wake_all();
    };
    dev.submit(std::move(bio));
}

asio::awaitable<void> Kcopyd::transfer(Clock& clock, std::uint64_t bytes) {
    if (bandwidth_ == 0) co_return;
    const auto ns = static_cast<std::int64_t>(
        (static_cast<unsigned __int128>(bytes) * 1'000'000'000u + bandwidth_ - 1) / bandwidth_);
    busy_until_ = std::max(busy_until_, clock.now()) + std::chrono::nanoseconds(ns);
    Sleep sleep(clock);
    co_await sleep.until(busy_until_);
}

asio::awaitable<void> Kcopyd::sub_job(Clock& clock, std::shared_ptr<Job> j) {
    for (;;) {
        const bool failed = j->result.read_err || j->result.write_err != 0;
        if ((failed && !j->ignore_errors) || j->progress == j->count) break;
        const Sector at = j->progress;
        const Sector n = std::min(kSubJobSectors, j->count - at);
        j->progress += n;

        auto c = std::make_shared<Chunk>(co_await asio::this_coro::executor, n * kSectorSize);
        c->left = 1;
        submit_chunk_bio(c, *j->from.dev, BioOp::read, j->from.sector + at, n, 1);
        while (c->left != 0) co_await c->done.wait();
        if (c->failed != 0) {
            j->result.read_err = true;
            continue;  // nothing to write from this chunk
        }
        co_await transfer(clock, c->buf.size());

        // dm_io to every destination at once: all are submitted, then all are awaited.
        c->left = j->to.size();
        for (std::size_t i = 0; i < j->to.size(); ++i)
            submit_chunk_bio(c, *j->to[i].dev, BioOp::write, j->to[i].sector + at, n, 1ul << i);
        while (c->left != 0) co_await c->done.wait();
        if (!j->ignore_errors) j->result.write_err |= c->failed;
    }
    --j->sub_jobs;
    j->idle.wake_all();
}

asio::awaitable<KcopydResult> Kcopyd::copy(Clock& clock, KcopydRegion from,
                                           std::vector<KcopydRegion> to, Sector count,
                                           bool ignore_errors) {
    auto ex = co_await asio::this_coro::executor;
    auto job = std::make_shared<Job>(ex, from, std::move(to), count, ignore_errors);

    // dispatch_job for a job of one chunk, split_job's kSplitCount sub-jobs for a larger one.
    const unsigned subs = count <= kSubJobSectors ? 1 : kSplitCount;
    job->sub_jobs = subs;
    for (unsigned i = 0; i < subs; ++i) asio::co_spawn(ex, sub_job(clock, job), asio::detached);
    while (job->sub_jobs != 0) co_await job->idle.wait();
    co_return job->result;
}

}  // namespace dmemu::emu
