// SPDX-License-Identifier: GPL-2.0-only
// The error target: every I/O fails with -EIO (drivers/md/dm-target.c, io_err_*).
//
// Table:  (arguments are ignored, as io_err_ctr ignores them)
// TABLE and INFO status: empty
#include "emu/targets/builtin.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

class ErrorTarget final : public Target {
public:
    MapResult map(Bio&) override { return MapResult::kill(); }
};

asio::awaitable<TargetCtrResult> io_err_ctr(TargetContext& ti, std::vector<std::string>) {
    // Discards reach the target (and fail) rather than being refused by the queue.
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{std::make_unique<ErrorTarget>()};
}

}  // namespace

const TargetType error_target{"error", {1, 5, 0}, io_err_ctr};

}  // namespace dmemu::emu
