// SPDX-License-Identifier: GPL-2.0-only
#include "emu/io/bio.hpp"

#include <fmt/format.h>

#include <cerrno>

#include "emu/io/block_device.hpp"
#include "emu/io/complete.hpp"

namespace dmemu::emu {

const char* to_string(BioOp op) {
    switch (op) {
        case BioOp::read:
            return "read";
        case BioOp::write:
            return "write";
        case BioOp::flush:
            return "flush";
        case BioOp::discard:
            return "discard";
    }
    return "?";
}

std::string DevT::str() const { return fmt::format("{}:{}", major, minor); }

bool reject_beyond_end(boost::asio::io_context& ctx, Bio& bio, std::uint64_t device_sectors) {
    if (bio.op == BioOp::flush) return false;
    if (bio.sector <= device_sectors && bio.sectors <= device_sectors - bio.sector) return false;
    complete_later(ctx, bio, -EIO);
    return true;
}

}  // namespace dmemu::emu
