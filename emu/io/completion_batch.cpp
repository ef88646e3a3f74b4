// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/completion_batch.hpp"

#include <boost/asio/post.hpp>
#include <utility>

namespace dmemu::emu {

namespace {
thread_local CompletionBatch* open_batch = nullptr;
}

// The queue's storage outlives each batch (the reader opens one per step): a fresh vector's
// first push_back would be one heap allocation per FUSE request.
thread_local std::vector<CompletionBatch::Entry> CompletionBatch::spare_;

CompletionBatch::CompletionBatch(boost::asio::io_context& ctx) : ctx_(ctx), outer_(open_batch) {
    open_batch = this;
    queue_.swap(spare_);  // an inner batch finds the spare taken, and starts empty
}

CompletionBatch::~CompletionBatch() {
    open_batch = outer_;
    for (std::size_t i = next_; i < queue_.size(); ++i)
        boost::asio::post(ctx_,
                          [done = std::move(queue_[i].done), err = queue_[i].err] { done(err); });
    queue_.clear();
    if (queue_.capacity() > spare_.capacity()) queue_.swap(spare_);
}

CompletionBatch* CompletionBatch::open_for(boost::asio::io_context& ctx) {
    for (CompletionBatch* b = open_batch; b != nullptr; b = b->outer_)
        if (&b->ctx_ == &ctx) return b;
    return nullptr;
}

void CompletionBatch::add(BioDone done, int err) { queue_.push_back({std::move(done), err}); }

void CompletionBatch::run() {
    // By index: a callback may add to the queue, which may move its storage. next_ is past each
    // entry before it runs, so a callback that throws leaves the rest to the destructor.
    while (next_ < queue_.size()) {
        Entry entry = std::move(queue_[next_++]);
        ++ran_;
        entry.done(entry.err);
    }
    queue_.clear();
    next_ = 0;
}

void finish_later(boost::asio::io_context& ctx, BioDone done, int err) {
    if (CompletionBatch* batch = CompletionBatch::open_for(ctx)) {
        batch->add(std::move(done), err);
        return;
    }
    boost::asio::post(ctx, [done = std::move(done), err] { done(err); });
}

}  // namespace dmemu::emu
