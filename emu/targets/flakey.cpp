// SPDX-License-Identifier: GPL-2.0-only
// dm-flakey: passes I/O through while "up", fails or mangles it while "down", alternating on a
// fixed period from the moment the table was built (drivers/md/dm-flakey.c, 6.1, v1.5.0).
//
// Table:  <dev> <offset> <up_interval_s> <down_interval_s> [<#features> [<feature>]...]
//   features: drop_writes | error_writes | corrupt_bio_byte <Nth_byte> <r|w> <value> <flags>
//   (matched case-insensitively; at most 6 feature words; words after them are ignored)
// TABLE status: "<dev> <offset> <up> <down> <#features> [drop_writes |error_writes ]
//                [corrupt_bio_byte <N> <r|w> <value> <flags> ]" with a trailing space,
//   e.g. "1:0 0 5 5 0 ", "1:0 0 5 5 6 error_writes corrupt_bio_byte 1 r 0 0 "
// INFO status: empty. No messages (6.1 has no flakey_message).
//
// Down when ((jiffies - ctr jiffies) / HZ) % (up + down) >= up. While down:
//   no features: every bio fails with -EIO (reads are killed in map);
//   drop_writes: writes (and flushes, discards) complete at once without reaching the device;
//   error_writes: writes fail with -EIO; reads pass;
//   corrupt_bio_byte: byte N (1-based) of matching reads is overwritten after they complete, of
//   matching writes before they are sent. A bio matches when (bi_opf & flags) == flags, with
//   bi_opf = REQ_OP (read 0, write 1, discard 3) | REQ_FUA (1 << 17); an empty flush is
//   REQ_OP_WRITE | REQ_PREFLUSH (1 << 18). Other 6.1 request flags (REQ_SYNC, REQ_META, ...)
//   are not modelled, so masks naming them never match.
// Unlike 6.1, which overwrites the byte in the submitter's own pages, a corrupted write is sent
// from a copy, as later kernels do ("dm flakey: clone pages on write bio before corrupting
// them"): the device gets the corrupted byte, the caller's buffer stays as it was.
// error_reads, random_read_corrupt and random_write_corrupt came after 6.1: like the oracle
// kernel (t32), this target rejects them with "Unrecognised flakey feature requested".
#include <fmt/format.h>
#include <strings.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "emu/io/complete.hpp"
#include "emu/targets/builtin.hpp"
#include "emu/targets/jiffies.hpp"
#include "emu/util/kernel_scan.hpp"

namespace dmemu::emu {

namespace asio = boost::asio;

namespace {

constexpr std::uint32_t kReqOpRead = 0;
constexpr std::uint32_t kReqOpWrite = 1;
constexpr std::uint32_t kReqOpDiscard = 3;
constexpr std::uint32_t kReqFua = 1u << 17;
constexpr std::uint32_t kReqPreflush = 1u << 18;

// The bi_opf the kernel would give this bio (see the head comment).
std::uint32_t flakey_bi_opf(const Bio& bio) {
    switch (bio.op) {
        case BioOp::read:
            return kReqOpRead;
        case BioOp::write:
            return kReqOpWrite | (bio.fua ? kReqFua : 0);
        case BioOp::flush:
            return kReqOpWrite | kReqPreflush;
        case BioOp::discard:
            return kReqOpDiscard;
    }
    return kReqOpRead;
}

bool flakey_is_write(const Bio& bio) { return bio.op != BioOp::read; }  // bio_data_dir

enum class Direction { read, write };

struct FlakeyConfig {
    Sector start = 0;
    std::uint32_t up_interval = 0;
    std::uint32_t down_interval = 0;
    bool drop_writes = false;
    bool error_writes = false;
    std::uint32_t corrupt_bio_byte = 0;  // 1-based; 0 when corrupt_bio_byte is off
    Direction corrupt_bio_rw = Direction::read;
    std::uint32_t corrupt_bio_value = 0;
    std::uint32_t corrupt_bio_flags = 0;
};

// corrupt_bio_data: overwrite the Nth byte when the bio is that long.
void flakey_corrupt(std::byte* data, std::size_t bytes, const FlakeyConfig& fc) {
    const std::size_t at = fc.corrupt_bio_byte - 1;
    if (data != nullptr && at < bytes)
        data[at] = std::byte(static_cast<unsigned char>(fc.corrupt_bio_value));
}

class FlakeyTarget final : public Target {
public:
    FlakeyTarget(TableEnvironment& env, std::shared_ptr<DeviceRef> dev, FlakeyConfig fc, Sector len)
        : env_(env),
          dev_(std::move(dev)),
          fc_(fc),
          len_(len),
          start_jiffies_(jiffies_at(env.clock().now())) {}

    MapResult map(Bio& bio) override {
        if (!flakey_down()) return flakey_remap(bio);
        if (!flakey_is_write(bio)) {
            // Reads while down fail unless a feature says what to do with them.
            if (fc_.corrupt_bio_byte == 0 && !fc_.drop_writes && !fc_.error_writes)
                return MapResult::kill();
            if (fc_.corrupt_bio_byte != 0 && fc_.corrupt_bio_rw == Direction::read &&
                flakey_flags_match(bio))
                flakey_corrupt_after_read(bio);
            return flakey_remap(bio);
        }
        if (fc_.drop_writes) {
            complete_later(env_.context(), bio, 0);
            return MapResult::submitted();
        }
        if (fc_.error_writes) {
            complete_later(env_.context(), bio, -EIO);
            return MapResult::submitted();
        }
        if (fc_.corrupt_bio_byte != 0) {
            if (fc_.corrupt_bio_rw == Direction::write && flakey_flags_match(bio))
                flakey_corrupt_before_write(bio);
            return flakey_remap(bio);
        }
        return MapResult::kill();
    }

    asio::awaitable<std::string> status(StatusType type) override {
        if (type == StatusType::info) co_return std::string();
        std::string out = fmt::format("{} {} {} {} ", dev_->name(), fc_.start, fc_.up_interval,
                                      fc_.down_interval);
        const unsigned nfeatures = (fc_.drop_writes ? 1 : 0) + (fc_.error_writes ? 1 : 0) +
                                   (fc_.corrupt_bio_byte > 0 ? 5 : 0);
        out += fmt::format("{} ", nfeatures);
        if (fc_.drop_writes)
            out += "drop_writes ";
        else if (fc_.error_writes)
            out += "error_writes ";
        if (fc_.corrupt_bio_byte != 0)
            out += fmt::format("corrupt_bio_byte {} {} {} {} ", fc_.corrupt_bio_byte,
                               fc_.corrupt_bio_rw == Direction::write ? 'w' : 'r',
                               fc_.corrupt_bio_value, fc_.corrupt_bio_flags);
        co_return out;
    }

    void iterate_devices(
        const std::function<void(const DeviceRef&, Sector, Sector)>& fn) const override {
        fn(*dev_, fc_.start, len_);
    }

private:
    // flakey_map's "Are we alive?": whole seconds since the constructor, in a 32-bit unsigned
    // as the kernel's `unsigned int elapsed`.
    bool flakey_down() const {
        const std::uint64_t ticks = jiffies_at(env_.clock().now()) - start_jiffies_;
        const auto elapsed = static_cast<std::uint32_t>(ticks / kHz);
        return elapsed % (fc_.up_interval + fc_.down_interval) >= fc_.up_interval;
    }

    bool flakey_flags_match(const Bio& bio) const {
        return (flakey_bi_opf(bio) & fc_.corrupt_bio_flags) == fc_.corrupt_bio_flags;
    }

    MapResult flakey_remap(Bio& bio) {
        if (bio.op != BioOp::flush) bio.sector += fc_.start;  // flakey_map_sector
        return MapResult::remap(&dev_->device());
    }

    // flakey_end_io: a read that succeeded while down gets its byte overwritten.
    void flakey_corrupt_after_read(Bio& bio) {
        bio.done = [fc = fc_, data = bio.data, bytes = bio.bytes(),
                    done = std::move(bio.done)](int err) {
            if (err == 0) flakey_corrupt(data, bytes, fc);
            done(err);
        };
    }

    void flakey_corrupt_before_write(Bio& bio) {
        if (!bio.has_data()) return;
        auto copy = std::make_shared<std::vector<std::byte>>(bio.data, bio.data + bio.bytes());
        flakey_corrupt(copy->data(), copy->size(), fc_);
        bio.data = copy->data();
        bio.done = [copy, done = std::move(bio.done)](int err) { done(err); };
    }

    TableEnvironment& env_;
    std::shared_ptr<DeviceRef> dev_;
    const FlakeyConfig fc_;
    const Sector len_;
    const std::uint64_t start_jiffies_;
};

// parse_features: the kernel's loop, including its unsigned count that corrupt_bio_byte can
// wrap past zero (t32 e31: "2 corrupt_bio_byte 32 r 1 0" ends in "Insufficient feature
// arguments").
bool flakey_parse_features(KernelArgs& as, FlakeyConfig& fc, std::string* error) {
    if (as.remaining() == 0) return true;
    const auto count = as.read_group(0, 6, "Invalid number of feature args", error);
    if (!count) return false;
    std::uint32_t argc = *count;
    while (argc != 0) {
        const auto name = as.shift();
        --argc;
        if (!name) {
            *error = "Insufficient feature arguments";
            return false;
        }
        const std::string word(*name);
        if (strcasecmp(word.c_str(), "drop_writes") == 0) {
            if (fc.drop_writes) {
                *error = "Feature drop_writes duplicated";
                return false;
            }
            fc.drop_writes = true;
            if (fc.error_writes) {
                *error = "Feature drop_writes conflicts with feature error_writes";
                return false;
            }
            continue;
        }
        if (strcasecmp(word.c_str(), "error_writes") == 0) {
            if (fc.error_writes) {
                *error = "Feature error_writes duplicated";
                return false;
            }
            fc.error_writes = true;
            if (fc.drop_writes) {
                *error = "Feature error_writes conflicts with feature drop_writes";
                return false;
            }
            continue;
        }
        if (strcasecmp(word.c_str(), "corrupt_bio_byte") == 0) {
            if (argc == 0) {
                *error = "Feature corrupt_bio_byte requires parameters";
                return false;
            }
            const auto nth = as.read(1, UINT32_MAX, "Invalid corrupt bio byte", error);
            if (!nth) return false;
            fc.corrupt_bio_byte = *nth;
            --argc;
            const auto dir = as.shift();
            if (dir && strcasecmp(std::string(*dir).c_str(), "w") == 0) {
                fc.corrupt_bio_rw = Direction::write;
            } else if (dir && strcasecmp(std::string(*dir).c_str(), "r") == 0) {
                fc.corrupt_bio_rw = Direction::read;
            } else {
                *error = "Invalid corrupt bio direction (r or w)";
                return false;
            }
            --argc;
            const auto value =
                as.read(0, 255, "Invalid corrupt value to write into bio byte (0-255)", error);
            if (!value) return false;
            fc.corrupt_bio_value = *value;
            --argc;
            const auto flags = as.read(0, UINT32_MAX, "Invalid corrupt bio flags mask", error);
            if (!flags) return false;
            fc.corrupt_bio_flags = *flags;
            --argc;
            continue;
        }
        *error = "Unrecognised flakey feature requested";
        return false;
    }
    if (fc.drop_writes && fc.corrupt_bio_rw == Direction::write) {
        *error = "drop_writes is incompatible with corrupt_bio_byte with the WRITE flag set";
        return false;
    }
    if (fc.error_writes && fc.corrupt_bio_rw == Direction::write) {
        *error = "error_writes is incompatible with corrupt_bio_byte with the WRITE flag set";
        return false;
    }
    return true;
}

asio::awaitable<TargetCtrResult> flakey_ctr(TargetContext& ti, std::vector<std::string> argv) {
    if (argv.size() < 4) {
        ti.error = "Invalid argument count";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    KernelArgs as(argv);
    FlakeyConfig fc;
    const std::string devname(*as.shift());
    const auto start = kernel_scan_ull(*as.shift());
    if (!start) {
        ti.error = "Invalid device sector";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    fc.start = *start;
    // 6.1 reads the down interval with the up interval's dm_arg, hence its error text (t32 e6).
    const auto up = as.read(0, UINT32_MAX, "Invalid up interval", &ti.error);
    if (!up) co_return TargetCtrResult::fail(-EINVAL);
    const auto down = as.read(0, UINT32_MAX, "Invalid up interval", &ti.error);
    if (!down) co_return TargetCtrResult::fail(-EINVAL);
    fc.up_interval = *up;
    fc.down_interval = *down;
    const std::uint32_t total = fc.up_interval + fc.down_interval;  // wraps, as in the kernel
    if (total == 0) {
        ti.error = "Total (up + down) interval is zero";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    if (total < fc.up_interval) {
        ti.error = "Interval overflow";
        co_return TargetCtrResult::fail(-EINVAL);
    }
    if (!flakey_parse_features(as, fc, &ti.error)) co_return TargetCtrResult::fail(-EINVAL);
    int err = 0;
    auto dev = ti.get_device(devname, &err);
    if (!dev) {
        ti.error = "Device lookup failed";
        co_return TargetCtrResult::fail(err);
    }
    ti.num_flush_bios = 1;
    ti.num_discard_bios = 1;
    co_return TargetCtrResult{std::make_unique<FlakeyTarget>(ti.env, std::move(dev), fc, ti.len)};
}

}  // namespace

const TargetType flakey_target{"flakey", {1, 5, 0}, flakey_ctr};

}  // namespace dmemu::emu
