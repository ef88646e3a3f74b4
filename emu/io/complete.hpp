// SPDX-License-Identifier: GPL-2.0-only
// Deferred completion: the one way a device finishes a bio, so done() never runs inside submit().
#pragma once

#include "emu/io/bio.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace dmemu::emu {

inline void complete_later(boost::asio::io_context& ctx, Bio& bio, int err) {
    boost::asio::post(ctx, [done = std::move(bio.done), err] { done(err); });
}

// True (and the bio completed with -EIO) when it reaches past the device end.
bool reject_beyond_end(boost::asio::io_context& ctx, Bio& bio, std::uint64_t device_sectors);

}  // namespace dmemu::emu
