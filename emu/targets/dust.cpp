// SPDX-License-Identifier: GPL-2.0-only
// dm-dust: a device with a list of bad blocks that, once enabled, fail reads the way a disk
// reports an unreadable sector; a write to a bad block "repairs" it (drivers/md/dm-dust.c, 6.1,
// v1.0.0; not built in the oracle kernel, so this follows the source).
//
// Table:  <dev> <offset> <blksz>      (blksz: bytes, a power of 2, 512 .. min(len, 1 GiB))
// TABLE status: "<dev> <offset> <blksz>"                 e.g. "1:0 0 512"
// INFO status:  "<dev> <fail_read_on_bad_block|bypass> <quiet|verbose>"
// Messages (case-insensitive; replies are what `dmsetup message` prints):
//   addbadblock <block> [<write fail count 0-255>]   removebadblock <block>   queryblock <block>
//     -> "dust_query_block: block <b> found in badblocklist" / "... not found in badblocklist"
//   enable | disable          fail reads on bad blocks, or pass everything (the default)
//   countbadblocks            -> "countbadblocks: <n> badblock(s) found"
//   listbadblocks             -> one block number per line, or "No blocks in badblocklist"
//   clearbadblocks            -> "dust_clear_badblocks: badblocks cleared" / "... no badblocks
//   found" quiet                     toggles the DMINFO/DMERR lines of add, remove and write repair
// Block numbers count blksz units of the underlying device from its sector 0 (offset included),
// and may be at most the device's size in blocks.
//
// While enabled: a read whose first sector is in a bad block fails with -EIO; a write to a bad
// block with a write fail count > 0 fails with -EIO and decrements the count, otherwise it
// removes the block from the list and goes through. Bios are split at blksz boundaries of the
// target (ti->max_io_len). One difference: 6.1 also runs an empty flush through the write path
// with a meaningless sector, which can consume the bad block at the target's first block; here a
// flush is passed through untouched.
#include <fmt/format.h>
#include <strings.h>

#include <bit>
#include <cerrno>
#include <map>

#include "emu/targets/builtin.hpp"
#include "emu/util/kernel_log.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kPrefix = "dust";
constexpr Sector kDustMaxBlkszSectors = 2097152;  // DUST_MAX_BLKSZ_SECTORS, 1 GiB

bool dust_is(const std::string& word, const char* name) {
    return strcasecmp(word.c_str(), name) == 0;
}

class DustTarget final : public Target {
public:
    DustTarget(TableEnvironment& env, std::shared_ptr<DeviceRef> dev, Sector start,
               std::uint32_t blksz, Sector len)
        : klog_(env.kernel_log()),
          dev_(std::move(dev)),
          start_(start),
          len_(len),
          blksz_(blksz),
          sect_per_block_(blksz >> kSectorShift),
          sect_per_block_shift_(static_cast<unsigned>(std::countr_zero(sect_per_block_))) {}

    MapResult map(Bio& bio) override {
        if (bio.op == BioOp::flush) return MapResult::remap(&dev_->device());
        bio.sector += start_;
        if (fail_read_on_bb_) {
            const Sector block = bio.sector >> sect_per_block_shift_;
            if (bio.op == BioOp::read ? !dust_map_read(block) : !dust_map_write(block))
                return MapResult::kill();
        }
        return MapResult::remap(&dev_->device());
    }

    bool has_message() const override { return true; }

    asio::awaitable<MessageResult> message(std::vector<std::string> argv) override {
        co_return dust_message(argv);
    }

    asio::awaitable<std::string> status(StatusType type) override {
        if (type == StatusType::info)
            co_return fmt::format("{} {} {}", dev_->name(),
                                  fail_read_on_bb_ ? "fail_read_on_bad_block" : "bypass",
                                  quiet_mode_ ? "quiet" : "verbose");
        co_return fmt::format("{} {} {}", dev_->name(), start_, blksz_);
    }

    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        fn(*dev_, start_, len_);
    }

private:
    struct BadBlock {
        unsigned char wr_fail_cnt;
    };

    bool dust_map_read(Sector block) const { return badblocks_.count(block) == 0; }

    // __dust_map_write: false when the write must fail.
    bool dust_map_write(Sector block) {
        auto it = badblocks_.find(block);
        if (it == badblocks_.end()) return true;
        if (it->second.wr_fail_cnt > 0) {
            --it->second.wr_fail_cnt;
            return false;
        }
        badblocks_.erase(it);
        // 6.1 divides the block number by sect_per_block a second time in this line.
        if (!quiet_mode_)
            klog_.info(kPrefix, "block {} removed from badblocklist by write",
                       block / sect_per_block_);
        return true;
    }

    int dust_add_block(std::uint64_t block, unsigned char wr_fail_cnt) {
        if (!badblocks_.emplace(block, BadBlock{wr_fail_cnt}).second) {
            if (!quiet_mode_)
                klog_.err(kPrefix, "dust_add_block: block {} already in badblocklist", block);
            return -EINVAL;
        }
        if (!quiet_mode_)
            klog_.info(kPrefix,
                       "dust_add_block: badblock added at block {} with write fail count {}", block,
                       unsigned(wr_fail_cnt));
        return 0;
    }

    int dust_remove_block(std::uint64_t block) {
        if (badblocks_.erase(block) == 0) {
            if (!quiet_mode_)
                klog_.err(kPrefix, "dust_remove_block: block {} not found in badblocklist", block);
            return -EINVAL;
        }
        if (!quiet_mode_)
            klog_.info(kPrefix, "dust_remove_block: badblock removed at block {}", block);
        return 0;
    }

    MessageResult dust_list_badblocks() const {
        std::string out;
        for (const auto& [block, bb] : badblocks_) out += fmt::format("{}\n", block);
        if (badblocks_.empty()) out = "No blocks in badblocklist";
        return {0, out};
    }

    MessageResult dust_clear_badblocks() {
        const bool had = !badblocks_.empty();
        badblocks_.clear();
        return {0, had ? "dust_clear_badblocks: badblocks cleared"
                       : "dust_clear_badblocks: no badblocks found"};
    }

    // dust_message; a reply (the kernel's r == 1) is returned as output with error 0.
    MessageResult dust_message(const std::vector<std::string>& argv) {
        const std::uint64_t size_blocks = dev_->device().size_sectors() / sect_per_block_;
        const MessageResult einval{-EINVAL, {}};
        bool invalid_msg = false;
        MessageResult r = einval;
        const std::size_t argc = argv.size();
        if (argc == 1) {
            const std::string& cmd = argv[0];
            if (dust_is(cmd, "addbadblock") || dust_is(cmd, "removebadblock") ||
                dust_is(cmd, "queryblock")) {
                klog_.err(kPrefix, "{} requires an additional argument", cmd);
            } else if (dust_is(cmd, "disable")) {
                klog_.info(kPrefix, "disabling read failures on bad sectors");
                fail_read_on_bb_ = false;
                r = {};
            } else if (dust_is(cmd, "enable")) {
                klog_.info(kPrefix, "enabling read failures on bad sectors");
                fail_read_on_bb_ = true;
                r = {};
            } else if (dust_is(cmd, "countbadblocks")) {
                r = {0, fmt::format("countbadblocks: {} badblock(s) found", badblocks_.size())};
            } else if (dust_is(cmd, "clearbadblocks")) {
                r = dust_clear_badblocks();
            } else if (dust_is(cmd, "quiet")) {
                quiet_mode_ = !quiet_mode_;
                r = {};
            } else if (dust_is(cmd, "listbadblocks")) {
                r = dust_list_badblocks();
            } else {
                invalid_msg = true;
            }
        } else if (argc == 2) {
            const auto block = kernel_scan_ull(argv[1]);
            if (!block) return einval;
            if (*block > size_blocks) {
                klog_.err(kPrefix, "selected block value out of range");
                return einval;
            }
            if (dust_is(argv[0], "addbadblock"))
                r = {dust_add_block(*block, 0), {}};
            else if (dust_is(argv[0], "removebadblock"))
                r = {dust_remove_block(*block), {}};
            else if (dust_is(argv[0], "queryblock"))
                r = {0, fmt::format("dust_query_block: block {} {} badblocklist", *block,
                                    badblocks_.count(*block) != 0 ? "found in" : "not found in")};
            else
                invalid_msg = true;
        } else if (argc == 3) {
            const auto block = kernel_scan_ull(argv[1]);
            if (!block) return einval;
            const auto count = kernel_scan_u(argv[2]);
            if (!count) return einval;
            if (*count > 255) {
                klog_.err(kPrefix, "selected write fail count out of range");
                return einval;
            }
            if (*block > size_blocks) {
                klog_.err(kPrefix, "selected block value out of range");
                return einval;
            }
            if (dust_is(argv[0], "addbadblock"))
                r = {dust_add_block(*block, static_cast<unsigned char>(*count)), {}};
            else
                invalid_msg = true;
        } else {
            klog_.err(kPrefix, "invalid number of arguments '{}'", argc);
        }
        if (invalid_msg) klog_.err(kPrefix, "unrecognized message '{}' received", argv[0]);
        return r;
    }

    KernelLog& klog_;
    std::shared_ptr<DeviceRef> dev_;
    const Sector start_;
    const Sector len_;
    const std::uint32_t blksz_;
    const std::uint32_t sect_per_block_;
    const unsigned sect_per_block_shift_;
    std::map<Sector, BadBlock> badblocks_;  // the kernel's rb-tree: listed in block order
    bool fail_read_on_bb_ = false;
    bool quiet_mode_ = false;
};

asio::awaitable<TargetCtrResult> dust_ctr(TargetContext& ti, std::vector<std::string> argv) {
    if (argv.size() != 3) {
        ti.error = "Invalid argument count";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    const auto blksz = kernel_kstrtouint(argv[2]);
    if (!blksz || *blksz == 0) {
        ti.error = "Invalid block size parameter";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    if (*blksz < 512) {
        ti.error = "Block size must be at least 512";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    if (!std::has_single_bit(*blksz)) {
        ti.error = "Block size must be a power of 2";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    if ((*blksz >> kSectorShift) > std::min(ti.len, kDustMaxBlkszSectors)) {
        ti.error = "Block size is too large";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    const auto start = kernel_scan_ull(argv[1]);
    if (!start) {
        ti.error = "Invalid device offset sector";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    int err = 0;
    auto dev = ti.get_device(argv[0], &err);
    if (!dev) {
        ti.error = "Device lookup failed";
        co_return TargetCtrResult::fail(
            -EINVAL);  // dust_ctr returns -EINVAL, not the lookup's errno
    }
    ti.max_io_len = *blksz >> kSectorShift;
    ti.num_flush_bios = 1;
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{
        std::make_unique<DustTarget>(ti.env, std::move(dev), *start, *blksz, ti.len)};
}

}  // namespace

const TargetType dust_target{"dust", {1, 0, 0}, dust_ctr};

}  // namespace dmemu::emu
