// SPDX-License-Identifier: GPL-2.0-only
// ctl_ioctl's way out (drivers/md/dm-ioctl.c): __dev_status, the name and uuid that
// __find_device_hash_cell writes back, the result buffers (list_devices, __list_versions,
// retrieve_deps, retrieve_status, target_message) and copy_to_user of data_size bytes.
#include <algorithm>

#include "emu/ioctl/dm_ioctl_codec.hpp"
#include "emu/ioctl/dm_ioctl_layout.hpp"

namespace dmemu::emu {

namespace {

using namespace dm_layout;

// The reply under construction: the kernel's param buffer, its flags and its result area.
class Param {
public:
    Param(const DecodedIoctl& in) : p_(in.param), size_(in.param_size) {
        flags_ = load<std::uint32_t>(p_, offsetof(dm_ioctl, flags));
        set_data_size(kHeader);  // ctl_ioctl, before calling the command
    }

    std::uint32_t& flags() { return flags_; }
    bool has(std::uint32_t flag) const { return (flags_ & flag) != 0; }
    void set_data_size(std::size_t n) {
        store(p_, offsetof(dm_ioctl, data_size), static_cast<std::uint32_t>(n));
    }

    // get_result_buffer: the payload starts at the struct's 8-byte-aligned end and runs to the
    // end of what the caller passed; returns its length.
    std::size_t result_buffer() {
        store(p_, offsetof(dm_ioctl, data_start), static_cast<std::uint32_t>(kResultStart));
        return size_ > kResultStart ? size_ - kResultStart : 0;
    }
    // Writes into the result area (offsets from its start); the caller checked the length.
    template <typename T>
    void put(std::size_t off, T v) {
        store(p_, kResultStart + off, v);
    }
    void put_string(std::size_t off, std::string_view s) {
        std::copy(s.begin(), s.end(), p_.begin() + static_cast<std::ptrdiff_t>(kResultStart + off));
        p_[kResultStart + off + s.size()] = 0;
    }
    std::uint8_t* result_bytes(std::size_t off) { return p_.data() + kResultStart + off; }

    // __find_device_hash_cell: "sneakily" the device's name and uuid, and whether it has an
    // inactive table.
    void identity(const DmInfo& info) {
        put_field(offsetof(dm_ioctl, name), DM_NAME_LEN, info.name);
        put_field(offsetof(dm_ioctl, uuid), DM_UUID_LEN, info.uuid);
        set(DM_INACTIVE_PRESENT_FLAG, info.inactive_table);
    }

    // __dev_status
    void dev_status(const DmInfo& info) {
        flags_ &= ~(DM_SUSPEND_FLAG | DM_READONLY_FLAG | DM_ACTIVE_PRESENT_FLAG |
                    DM_INTERNAL_SUSPEND_FLAG);
        set(DM_SUSPEND_FLAG, info.suspended);
        store(p_, offsetof(dm_ioctl, dev), info.devt.huge_encode());
        store(p_, offsetof(dm_ioctl, open_count), static_cast<std::int32_t>(info.open_count));
        store(p_, offsetof(dm_ioctl, event_nr), info.event_nr);
        std::uint32_t targets = 0;
        const bool inactive = has(DM_QUERY_INACTIVE_TABLE_FLAG);
        if (info.live_table) {
            if (!inactive) {
                set(DM_READONLY_FLAG, info.read_only);
                targets = info.target_count;
            }
            flags_ |= DM_ACTIVE_PRESENT_FLAG;
        }
        if (inactive && info.inactive_table) {
            set(DM_READONLY_FLAG, info.inactive_read_only);
            targets = info.inactive_target_count;
        }
        set_target_count(targets);
    }
    void set_target_count(std::uint32_t n) { store(p_, offsetof(dm_ioctl, target_count), n); }

    void set(std::uint32_t flag, bool on) { flags_ = on ? (flags_ | flag) : (flags_ & ~flag); }

    IoctlAnswer finish() {
        store(p_, offsetof(dm_ioctl, flags), flags_);
        const auto data_size = load<std::uint32_t>(p_, offsetof(dm_ioctl, data_size));
        IoctlAnswer a;
        a.out.assign(p_.begin(), p_.begin() + std::min<std::size_t>(data_size, p_.size()));
        write_version(a.out);
        return a;
    }

    static void write_version(std::vector<std::uint8_t>& out) {
        const std::uint32_t version[3] = {DM_VERSION_MAJOR, DM_VERSION_MINOR,
                                          DM_VERSION_PATCHLEVEL};
        if (out.size() < sizeof version) out.resize(sizeof version);
        std::memcpy(out.data(), version, sizeof version);
    }

private:
    // strlcpy: the string and its NUL, the rest of the field as it was.
    void put_field(std::size_t off, std::size_t size, const std::string& s) {
        const std::size_t n = std::min(s.size(), size - 1);
        std::copy_n(s.begin(), n, p_.begin() + static_cast<std::ptrdiff_t>(off));
        p_[off + n] = 0;
    }

    std::vector<std::uint8_t> p_;
    std::size_t size_;
    std::uint32_t flags_;
};

void list_devices(Param& p, const DmReply& reply) {
    const bool uuids = p.has(DM_UUID_FLAG);
    std::size_t needed = 0;
    for (const auto& n : reply.names) {
        needed += align8(offsetof(dm_name_list, name) + n.name.size() + 1);
        needed += align8(2 * sizeof(std::uint32_t));
        if (uuids && !n.uuid.empty()) needed += align8(n.uuid.size() + 1);
    }
    const std::size_t len = p.result_buffer();
    if (len < needed || len < sizeof(std::uint64_t)) {
        p.flags() |= DM_BUFFER_FULL_FLAG;
        return;
    }
    p.set_data_size(kResultStart + needed);
    p.put<std::uint64_t>(0, 0);  // "no devices" when the list is empty
    std::size_t at = 0;
    std::optional<std::size_t> previous;
    for (const auto& n : reply.names) {
        if (previous)
            p.put(*previous + offsetof(dm_name_list, next),
                  static_cast<std::uint32_t>(at - *previous));
        p.put(at + offsetof(dm_name_list, dev), n.devt.huge_encode());
        p.put<std::uint32_t>(at + offsetof(dm_name_list, next), 0);
        p.put_string(at + offsetof(dm_name_list, name), n.name);
        previous = at;
        const std::size_t event = align8(at + offsetof(dm_name_list, name) + n.name.size() + 1);
        std::uint32_t name_flags = 0;
        std::size_t after = align8(event + 2 * sizeof(std::uint32_t));
        if (uuids) {
            if (!n.uuid.empty()) {
                name_flags = DM_NAME_LIST_FLAG_HAS_UUID;
                p.put_string(after, n.uuid);
                after = align8(after + n.uuid.size() + 1);
            } else {
                name_flags = DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID;
            }
        }
        p.put(event, n.event_nr);
        p.put(event + sizeof(std::uint32_t), name_flags);
        at = after;
    }
}

void list_versions(Param& p, const DmReply& reply) {
    std::size_t needed = 0;
    for (const auto& v : reply.versions)
        needed += sizeof(dm_target_versions) + v.name.size() + 1 + 7;
    const std::size_t len = p.result_buffer();
    if (len < needed) {
        p.flags() |= DM_BUFFER_FULL_FLAG;
        return;
    }
    p.set_data_size(kResultStart + needed);
    std::size_t at = 0;
    std::optional<std::size_t> previous;
    for (const auto& v : reply.versions) {
        if (previous)
            p.put(*previous + offsetof(dm_target_versions, next),
                  static_cast<std::uint32_t>(at - *previous));
        p.put<std::uint32_t>(at + offsetof(dm_target_versions, version), v.version.major);
        p.put<std::uint32_t>(at + offsetof(dm_target_versions, version) + 4, v.version.minor);
        p.put<std::uint32_t>(at + offsetof(dm_target_versions, version) + 8, v.version.patch);
        p.put<std::uint32_t>(at + offsetof(dm_target_versions, next), 0);
        p.put_string(at + offsetof(dm_target_versions, name), v.name);
        previous = at;
        at = align8(at + sizeof(dm_target_versions) + v.name.size() + 1);
    }
}

void retrieve_deps(Param& p, const DmReply& reply) {
    const std::size_t len = p.result_buffer();
    const std::size_t needed = sizeof(dm_target_deps) + reply.deps.size() * sizeof(std::uint64_t);
    if (len < needed) {
        p.flags() |= DM_BUFFER_FULL_FLAG;
        return;
    }
    p.put(offsetof(dm_target_deps, count), static_cast<std::uint32_t>(reply.deps.size()));
    for (std::size_t i = 0; i < reply.deps.size(); ++i)
        p.put(sizeof(dm_target_deps) + i * sizeof(std::uint64_t), reply.deps[i].huge_encode());
    p.set_data_size(kResultStart + needed);
}

void retrieve_status(Param& p, const DmReply& reply) {
    const std::size_t len = p.result_buffer();
    std::size_t at = 0;
    std::size_t used = 0;
    for (const auto& t : reply.targets) {
        if (len - at <= sizeof(dm_target_spec)) {
            p.flags() |= DM_BUFFER_FULL_FLAG;
            break;
        }
        const std::size_t spec = at;
        p.put<std::int32_t>(spec + offsetof(dm_target_spec, status), 0);
        p.put(spec + offsetof(dm_target_spec, sector_start), std::uint64_t{t.start});
        p.put(spec + offsetof(dm_target_spec, length), std::uint64_t{t.length});
        // strncpy(target_type, name, 15): the name, NUL padding to 15 bytes, byte 15 untouched.
        std::uint8_t* type = p.result_bytes(spec + offsetof(dm_target_spec, target_type));
        const std::size_t n = std::min<std::size_t>(t.type.size(), DM_MAX_TYPE_NAME - 1);
        std::fill_n(type, DM_MAX_TYPE_NAME - 1, std::uint8_t{0});
        std::copy_n(t.type.begin(), n, type);
        at += sizeof(dm_target_spec);
        const std::size_t remaining = len - at;
        // The target writes at most remaining - 1 characters and a NUL: a status that fills the
        // space is taken to be cut short.
        if (t.params.size() + 1 >= remaining) {
            p.flags() |= DM_BUFFER_FULL_FLAG;
            break;
        }
        p.put_string(at, t.params);
        at += t.params.size() + 1;
        used = kResultStart + at;
        at = align8(at);
        if (at > len) {
            p.flags() |= DM_BUFFER_FULL_FLAG;
            break;
        }
        p.put(spec + offsetof(dm_target_spec, next), static_cast<std::uint32_t>(at));
    }
    if (used != 0) p.set_data_size(used);
    p.set_target_count(static_cast<std::uint32_t>(reply.targets.size()));
}

void target_message(Param& p, const DmReply& reply) {
    const std::size_t maxlen = p.result_buffer();
    p.dev_status(reply.info);
    if (!reply.data_out) return;
    p.flags() |= DM_DATA_OUT_FLAG;
    // dm_message_test_buffer_overflow
    if (maxlen == 0 || reply.message_output.size() + 1 >= maxlen) {
        p.flags() |= DM_BUFFER_FULL_FLAG;
        return;
    }
    p.put_string(0, reply.message_output);
    p.set_data_size(kResultStart + reply.message_output.size() + 1);
}

// Whether the table a query read (live, or inactive with DM_QUERY_INACTIVE_TABLE_FLAG) exists.
bool queried_table(const Param& p, const DmInfo& info) {
    return p.has(DM_QUERY_INACTIVE_TABLE_FLAG) ? info.inactive_table : info.live_table;
}

}  // namespace

IoctlAnswer encode_dm_ioctl_answer(const DecodedIoctl& in, const DmReply& reply) {
    IoctlAnswer a;
    const int result = in.error != 0 ? in.error : in.version_only ? 0 : reply.error;
    if (result != 0 || in.version_only) {
        // Only check_version's copy reached the caller.
        a.result = result;
        if (in.version_checked) Param::write_version(a.out);
        return a;
    }
    Param p(in);
    const DmInfo& info = reply.info;
    switch (in.request.cmd) {
        case DmCommand::remove_all:
        case DmCommand::dev_set_geometry:
            p.set_data_size(0);  // nothing but the version goes back
            break;
        case DmCommand::list_devices:
            list_devices(p, reply);
            break;
        case DmCommand::list_versions:
        case DmCommand::get_target_version:
            list_versions(p, reply);
            break;
        case DmCommand::dev_create:
            p.flags() &= ~DM_INACTIVE_PRESENT_FLAG;
            p.dev_status(info);
            break;
        case DmCommand::dev_remove:
            p.identity(info);  // as it was before the removal
            p.flags() &= ~DM_DEFERRED_REMOVE;
            break;
        case DmCommand::dev_rename:  // dm_hash_rename writes neither name nor uuid back
            p.dev_status(info);
            break;
        case DmCommand::dev_suspend:
        case DmCommand::dev_status:
        case DmCommand::table_load:
        case DmCommand::table_clear:
            p.identity(info);
            p.dev_status(info);
            break;
        case DmCommand::table_deps:
            p.identity(info);
            p.dev_status(info);
            if (queried_table(p, info)) retrieve_deps(p, reply);
            break;
        case DmCommand::table_status:
        case DmCommand::dev_wait:
            p.identity(info);
            p.dev_status(info);
            if (queried_table(p, info)) retrieve_status(p, reply);
            break;
        case DmCommand::target_msg:
            p.identity(info);
            target_message(p, reply);
            break;
        default:  // dev_arm_poll: the header as it came
            break;
    }
    return p.finish();
}

}  // namespace dmemu::emu
