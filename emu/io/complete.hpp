// SPDX-License-Identifier: GPL-2.0-only
// Deferred completion: the one way a device finishes a bio, so done() never runs inside submit().
// It runs after the current handler: in the loop's open CompletionBatch if any, else posted.
#pragma once

#include <boost/asio/io_context.hpp>

#include "emu/io/bio.hpp"
#include "emu/io/completion_batch.hpp"

namespace dmemu::emu {

inline void complete_later(boost::asio::io_context& ctx, Bio& bio, int err) {
    finish_later(ctx, std::move(bio.done), err);
}

// True (and the bio completed with -EIO) when it reaches past the device end.
bool reject_beyond_end(boost::asio::io_context& ctx, Bio& bio, std::uint64_t device_sectors);

}  // namespace dmemu::emu
