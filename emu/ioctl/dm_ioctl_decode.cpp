// SPDX-License-Identifier: GPL-2.0-only
// ctl_ioctl's way in (drivers/md/dm-ioctl.c): check_version, lookup_ioctl, copy_params,
// validate_params, then each command's reading of its payload.
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>

#include "emu/ioctl/dm_ioctl_codec.hpp"
#include "emu/ioctl/dm_ioctl_layout.hpp"

namespace dmemu::emu {

namespace {

using namespace dm_layout;

// dm_ioctl's _IOC_TYPE and _IOC_NR (asm-generic/ioctl.h).
constexpr std::uint32_t ioc_type(std::uint32_t command) { return (command >> 8) & 0xff; }
constexpr std::uint32_t ioc_nr(std::uint32_t command) { return command & 0xff; }

// The C string at `off`, ending at the first NUL before `end`; nullopt when there is none
// (the kernel's invalid_str).
std::optional<std::string> c_string(const std::vector<std::uint8_t>& b, std::size_t off,
                                    std::size_t end) {
    if (off >= end) return std::nullopt;
    const auto first = b.begin() + static_cast<std::ptrdiff_t>(off);
    const auto last = b.begin() + static_cast<std::ptrdiff_t>(end);
    const auto nul = std::find(first, last, std::uint8_t{0});
    if (nul == last) return std::nullopt;
    return std::string(first, nul);
}

// A fixed-size char field, up to its first NUL or its end.
std::string field(const std::vector<std::uint8_t>& b, std::size_t off, std::size_t size) {
    const char* p = reinterpret_cast<const char*>(b.data() + off);
    return std::string(p, strnlen(p, size));
}

DecodedIoctl fail(DecodedIoctl d, int err, std::string text = {}) {
    d.error = err;
    d.kernel_error = std::move(text);
    return d;
}

void set_payload_error(DmRequest& r, int err, std::string text) {
    r.payload_error = err;
    r.payload_error_text = std::move(text);
}

// populate_table: target_count dm_target_spec, the first at data_start, each next one `next`
// bytes after the one before, each followed by its NUL-terminated params.
void read_targets(const std::vector<std::uint8_t>& p, std::size_t param_size, DmRequest& r) {
    const auto count = load<std::uint32_t>(p, offsetof(dm_ioctl, target_count));
    // dm_table_create allocates count targets first: a count no allocation can hold is -ENOMEM.
    if (count > (1u << 24)) return set_payload_error(r, -ENOMEM, {});
    std::size_t last = 0;  // next_target starts from the struct itself
    std::uint64_t next = load<std::uint32_t>(p, offsetof(dm_ioctl, data_start));
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t spec = last + next;
        const std::uint64_t params = spec + sizeof(dm_target_spec);
        std::optional<std::string> text;
        if (spec >= last + sizeof(dm_target_spec) && params < param_size)
            text = c_string(p, static_cast<std::size_t>(params), param_size);
        if (!text) {
            r.targets.clear();
            return set_payload_error(r, -EINVAL, "unable to find target");
        }
        const auto s = static_cast<std::size_t>(spec);
        TargetSpec t;
        t.start = load<std::uint64_t>(p, s + offsetof(dm_target_spec, sector_start));
        t.length = load<std::uint64_t>(p, s + offsetof(dm_target_spec, length));
        // target_type is used as a C string: one that fills its 16 bytes runs on into the
        // params, whose NUL is known to be there.
        t.type = *c_string(p, s + offsetof(dm_target_spec, target_type), param_size);
        t.params = std::move(*text);
        r.targets.push_back(std::move(t));
        next = load<std::uint32_t>(p, s + offsetof(dm_target_spec, next));
        last = s;
    }
}

// The string a rename, message or geometry ioctl carries at data_start: it must start past the
// fixed header and end before the buffer does.
std::optional<std::string> data_string(const std::vector<std::uint8_t>& p, std::size_t param_size,
                                       std::size_t skip) {
    const std::uint64_t start = load<std::uint32_t>(p, offsetof(dm_ioctl, data_start));
    if (start < kHeader) return std::nullopt;
    return c_string(p, static_cast<std::size_t>(start + skip), param_size);
}

}  // namespace

DecodedIoctl decode_dm_ioctl(std::uint32_t command, std::span<const std::uint8_t> in) {
    DecodedIoctl d;
    if (ioc_type(command) != DM_IOCTL) return fail(std::move(d), -ENOTTY);
    d.nr = ioc_nr(command);

    // check_version: the version goes back to the caller whatever happens next.
    std::uint32_t version[3];
    if (in.size() < sizeof version) return fail(std::move(d), -EFAULT);
    std::memcpy(version, in.data(), sizeof version);
    d.version_checked = true;
    if (version[0] != DM_VERSION_MAJOR || version[1] > DM_VERSION_MINOR)
        return fail(
            std::move(d), -EINVAL,
            fmt::format("ioctl interface mismatch: kernel({}.{}.{}), user({}.{}.{}), cmd({})",
                        DM_VERSION_MAJOR, DM_VERSION_MINOR, DM_VERSION_PATCHLEVEL, version[0],
                        version[1], version[2], d.nr));
    if (d.nr == DM_VERSION_CMD) {
        d.version_only = true;
        return d;
    }
    const auto kind = ioctl_kind(d.nr);
    if (!kind)
        return fail(std::move(d), -ENOTTY,
                    fmt::format("dm_ctl_ioctl: unknown command 0x{:x}", command));

    // copy_params
    if (in.size() < kHeader) return fail(std::move(d), -EFAULT);
    std::uint32_t data_size;
    std::memcpy(&data_size, in.data() + offsetof(dm_ioctl, data_size), sizeof data_size);
    if (data_size < kHeader || data_size > kDmMaxDataSize)
        return fail(std::move(d), -EINVAL,
                    fmt::format("Invalid data size in the ioctl structure: {}", data_size));
    const std::size_t copied = (kind->flags & kNoParams) ? kHeader : data_size;
    if (in.size() < copied) return fail(std::move(d), -EFAULT);
    d.param.assign(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(copied));
    d.param.resize(std::max(copied, sizeof(dm_ioctl)), 0);
    d.param_size = copied;
    store<std::uint32_t>(d.param, offsetof(dm_ioctl, data_size),
                         static_cast<std::uint32_t>(copied));
    std::vector<std::uint8_t>& p = d.param;

    // validate_params
    auto flags = load<std::uint32_t>(p, offsetof(dm_ioctl, flags));
    flags &=
        ~(DM_BUFFER_FULL_FLAG | DM_UEVENT_GENERATED_FLAG | DM_SECURE_DATA_FLAG | DM_DATA_OUT_FLAG);
    store(p, offsetof(dm_ioctl, flags), flags);
    DmRequest& r = d.request;
    r.cmd = kind->command;
    if (r.cmd == DmCommand::list_devices) {
        // Not validated: the name and uuid are prefixes read up to their field's length.
        r.name = field(p, offsetof(dm_ioctl, name), DM_NAME_LEN);
        r.uuid = field(p, offsetof(dm_ioctl, uuid), DM_UUID_LEN);
        return d;
    }
    if (r.cmd == DmCommand::remove_all || r.cmd == DmCommand::list_versions) return d;
    p[offsetof(dm_ioctl, name) + DM_NAME_LEN - 1] = 0;
    p[offsetof(dm_ioctl, uuid) + DM_UUID_LEN - 1] = 0;
    r.name = field(p, offsetof(dm_ioctl, name), DM_NAME_LEN);
    r.uuid = field(p, offsetof(dm_ioctl, uuid), DM_UUID_LEN);
    if (r.cmd == DmCommand::dev_create) {
        if (r.name.empty())
            return fail(std::move(d), -EINVAL, "name not supplied when creating device");
    } else if (!r.uuid.empty() && !r.name.empty()) {
        return fail(std::move(d), -EINVAL,
                    fmt::format("only supply one of name or uuid, cmd({})", d.nr));
    }

    const auto dev = load<std::uint64_t>(p, offsetof(dm_ioctl, dev));
    if (r.cmd == DmCommand::dev_create) {
        if (flags & DM_PERSISTENT_DEV_FLAG) r.devt = DevT::huge_decode(dev);
    } else if (dev != 0) {
        r.devt = DevT::huge_decode(dev);
    }
    r.read_only = flags & DM_READONLY_FLAG;
    r.suspend = flags & DM_SUSPEND_FLAG;
    r.inactive = flags & DM_QUERY_INACTIVE_TABLE_FLAG;
    r.status_table = flags & DM_STATUS_TABLE_FLAG;
    r.noflush = flags & DM_NOFLUSH_FLAG;
    r.nolockfs = flags & DM_SKIP_LOCKFS_FLAG;
    r.event_nr = load<std::uint32_t>(p, offsetof(dm_ioctl, event_nr));

    switch (r.cmd) {
        case DmCommand::dev_rename: {
            r.set_uuid = flags & DM_UUID_FLAG;
            auto new_value = data_string(p, d.param_size, 0);
            if (!new_value || new_value->empty() ||
                new_value->size() > (r.set_uuid ? DM_UUID_LEN - 1 : DM_NAME_LEN - 1))
                return fail(std::move(d), -EINVAL,
                            "Invalid new mapped device name or uuid string supplied.");
            r.new_name = std::move(*new_value);
            break;
        }
        case DmCommand::table_load:
            read_targets(p, d.param_size, r);
            break;
        case DmCommand::target_msg: {
            auto message = data_string(p, d.param_size, offsetof(dm_target_msg, message));
            if (!message) {
                set_payload_error(r, -EINVAL, "Invalid target message parameters.");
                break;
            }
            r.sector =
                load<std::uint64_t>(p, load<std::uint32_t>(p, offsetof(dm_ioctl, data_start)));
            r.message = std::move(*message);
            break;
        }
        case DmCommand::dev_set_geometry: {
            auto geometry = data_string(p, d.param_size, 0);
            if (!geometry)
                set_payload_error(r, -EINVAL, "Invalid geometry supplied.");
            else
                r.message = std::move(*geometry);
            break;
        }
        default:
            break;
    }
    return d;
}

}  // namespace dmemu::emu
