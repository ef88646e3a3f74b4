// SPDX-License-Identifier: GPL-2.0-only
// dm-zero: reads return zeros, writes and discards are dropped (drivers/md/dm-zero.c).
//
// Table:  (no arguments)
// TABLE and INFO status: empty
#include <cerrno>
#include <cstring>

#include "emu/io/complete.hpp"
#include "emu/targets/builtin.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

class ZeroTarget final : public Target {
public:
    explicit ZeroTarget(asio::io_context& ctx) : ctx_(ctx) {}

    MapResult map(Bio& bio) override {
        if (bio.op == BioOp::read) std::memset(bio.data, 0, bio.bytes());
        complete_later(ctx_, bio, 0);
        return MapResult::submitted();
    }

private:
    asio::io_context& ctx_;
};

asio::awaitable<TargetCtrResult> zero_ctr(TargetContext& ti, std::vector<std::string> argv) {
    if (!argv.empty()) {
        ti.error = "No arguments required";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{std::make_unique<ZeroTarget>(ti.env.context())};
}

}  // namespace

const TargetType zero_target{"zero", {1, 1, 0}, zero_ctr};

}  // namespace dmemu::emu
