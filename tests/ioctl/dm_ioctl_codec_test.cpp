// SPDX-License-Identifier: GPL-2.0-only
// The binary dm_ioctl codec against a real device mapper: buffers built as libdevmapper builds
// them (libdm/ioctl/libdm-iface.c: _flatten), decoded, run, and encoded back; assertions on the
// bytes the caller gets, as dm-ioctl.c writes them.
#include "emu/ioctl/dm_ioctl_codec.hpp"

#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "tests/core/core_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

// strncpy into a char field without gcc's truncation warning: the text, then NULs.
template <std::size_t N>
void copy_field(char (&field)[N], const std::string& s) {
    std::memset(field, 0, N);
    std::memcpy(field, s.data(), std::min(s.size(), N));
}

// A struct dm_ioctl and its data area, as _flatten lays them out.
struct Buffer {
    std::vector<std::uint8_t> bytes;
    explicit Buffer(std::size_t size = 16 * 1024) : bytes(size, 0) {
        dm_ioctl& h = head();
        h.version[0] = 4;
        h.version[1] = 0;
        h.data_size = static_cast<std::uint32_t>(size);
        h.data_start = sizeof(dm_ioctl);
    }
    dm_ioctl& head() { return *reinterpret_cast<dm_ioctl*>(bytes.data()); }
    Buffer& name(const std::string& n) {
        copy_field(head().name, n);
        return *this;
    }
    Buffer& uuid(const std::string& u) {
        copy_field(head().uuid, u);
        return *this;
    }
    Buffer& flags(std::uint32_t f) {
        head().flags |= f;
        return *this;
    }
    // One dm_target_spec + params at the end of what is there; `next` chains them.
    Buffer& target(std::uint64_t start, std::uint64_t len, const std::string& type,
                   const std::string& params) {
        std::size_t at = head().data_start;
        for (std::uint32_t i = 0; i < head().target_count; ++i) {
            auto* s = reinterpret_cast<dm_target_spec*>(bytes.data() + at);
            at += s->next;
        }
        auto* spec = reinterpret_cast<dm_target_spec*>(bytes.data() + at);
        spec->sector_start = start;
        spec->length = len;
        copy_field(spec->target_type, type);
        std::memcpy(bytes.data() + at + sizeof *spec, params.c_str(), params.size() + 1);
        spec->next = static_cast<std::uint32_t>((sizeof *spec + params.size() + 1 + 7) & ~7u);
        ++head().target_count;
        return *this;
    }
    Buffer& data_string(const std::string& s, std::size_t skip = 0) {
        std::memcpy(bytes.data() + head().data_start + skip, s.c_str(), s.size() + 1);
        return *this;
    }
};

const dm_ioctl& out_head(const IoctlAnswer& a) {
    return *reinterpret_cast<const dm_ioctl*>(a.out.data());
}

class DmIoctlCodec : public CoreFixture {
protected:
    DmIoctlCodec() {
        add_ram("ram0", 131072, DevT{1, 0});
        add_ram("ram1", 131072, DevT{1, 1});
    }
    IoctlAnswer call(unsigned nr, const Buffer& b) { return call_bytes(nr, b.bytes); }
    IoctlAnswer call_bytes(unsigned nr, const std::vector<std::uint8_t>& bytes,
                           unsigned type = DM_IOCTL) {
        const std::uint32_t command = _IOC(_IOC_READ | _IOC_WRITE, type, nr, sizeof(dm_ioctl));
        DecodedIoctl d = decode_dm_ioctl(command, bytes);
        DmReply reply;
        if (d.error != 0) {
            if (!d.kernel_error.empty()) klog_.err("ioctl", "{}", d.kernel_error);
        } else if (!d.version_only) {
            reply = ioctl(d.request);
        }
        return encode_dm_ioctl_answer(d, reply);
    }
    std::string last_kernel_line() {
        auto lines = klog_.since(0);
        return lines.empty() ? std::string() : lines.back().text;
    }
    // create + load + resume through the binary path.
    void make_linear(const std::string& name, const std::string& uuid = {}) {
        ASSERT_EQ(call(DM_DEV_CREATE_CMD, Buffer().name(name).uuid(uuid)).result, 0);
        ASSERT_EQ(
            call(DM_TABLE_LOAD_CMD, Buffer().name(name).target(0, 2048, "linear", "1:0 0")).result,
            0);
        ASSERT_EQ(call(DM_DEV_SUSPEND_CMD, Buffer().name(name)).result, 0);
    }
};

TEST_F(DmIoctlCodec, VersionCopiesBackOnlyTheVersion) {
    const IoctlAnswer a = call(DM_VERSION_CMD, Buffer());
    EXPECT_EQ(a.result, 0);
    ASSERT_EQ(a.out.size(), 12u);
    EXPECT_EQ(out_head(a).version[0], 4u);
    EXPECT_EQ(out_head(a).version[1], 47u);
    EXPECT_EQ(out_head(a).version[2], 0u);
}

TEST_F(DmIoctlCodec, NewerInterfaceIsRefusedButLearnsTheVersion) {
    Buffer b;
    b.head().version[1] = 48;
    const IoctlAnswer a = call(DM_DEV_STATUS_CMD, b);
    EXPECT_EQ(a.result, -EINVAL);
    ASSERT_EQ(a.out.size(), 12u);
    EXPECT_EQ(out_head(a).version[1], 47u);
    EXPECT_EQ(
        last_kernel_line(),
        "device-mapper: ioctl: ioctl interface mismatch: kernel(4.47.0), user(4.48.0), cmd(7)");
}

TEST_F(DmIoctlCodec, AnotherIoctlTypeIsEnottyWithNothingCopied) {
    const IoctlAnswer a = call_bytes(DM_DEV_STATUS_CMD, Buffer().bytes, 0x12);
    EXPECT_EQ(a.result, -ENOTTY);
    EXPECT_TRUE(a.out.empty());
}

TEST_F(DmIoctlCodec, UnknownCommandIsEnotty) {
    const IoctlAnswer a = call(18, Buffer());
    EXPECT_EQ(a.result, -ENOTTY);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: dm_ctl_ioctl: unknown command 0xc138fd12");
}

TEST_F(DmIoctlCodec, DataSizeBelowTheHeaderIsEinval) {
    Buffer b;
    b.head().data_size = 100;
    EXPECT_EQ(call(DM_DEV_STATUS_CMD, b).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(),
              "device-mapper: ioctl: Invalid data size in the ioctl structure: 100");
}

TEST_F(DmIoctlCodec, BufferShorterThanItsDataSizeIsEfault) {
    Buffer b(4096);
    b.name("x").target(0, 8, "zero", "");
    b.head().data_size = 8192;
    EXPECT_EQ(call(DM_TABLE_LOAD_CMD, b).result, -EFAULT);
    std::vector<std::uint8_t> tiny(8, 0);
    EXPECT_EQ(call_bytes(DM_VERSION_CMD, tiny).result, -EFAULT);
}

TEST_F(DmIoctlCodec, CreateWithoutANameIsEinval) {
    EXPECT_EQ(call(DM_DEV_CREATE_CMD, Buffer()).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: name not supplied when creating device");
}

TEST_F(DmIoctlCodec, NameAndUuidTogetherAreEinval) {
    make_linear("a", "U-a");
    EXPECT_EQ(call(DM_DEV_STATUS_CMD, Buffer().name("a").uuid("U-a")).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: only supply one of name or uuid, cmd(7)");
}

TEST_F(DmIoctlCodec, UuidWithADevnoFindsNothing) {
    make_linear("a", "U-a");
    Buffer b;
    b.uuid("U-a").head().dev = makedev(254, 0);
    EXPECT_EQ(call(DM_DEV_STATUS_CMD, b).result, -ENXIO);
    EXPECT_EQ(last_kernel_line(),
              "device-mapper: ioctl: Invalid ioctl structure: uuid U-a, name , dev fe00");
}

TEST_F(DmIoctlCodec, StatusByUuidOrDevnoWritesNameAndUuidBack) {
    make_linear("a", "U-a");
    IoctlAnswer by_uuid = call(DM_DEV_STATUS_CMD, Buffer().uuid("U-a"));
    ASSERT_EQ(by_uuid.result, 0);
    EXPECT_STREQ(out_head(by_uuid).name, "a");
    Buffer b;
    b.head().dev = makedev(254, 0);
    IoctlAnswer by_dev = call(DM_DEV_STATUS_CMD, b);
    ASSERT_EQ(by_dev.result, 0);
    const dm_ioctl& h = out_head(by_dev);
    EXPECT_STREQ(h.name, "a");
    EXPECT_STREQ(h.uuid, "U-a");
    EXPECT_EQ(h.dev, makedev(254, 0));
    EXPECT_EQ(h.target_count, 1u);
    EXPECT_EQ(h.flags & (DM_ACTIVE_PRESENT_FLAG | DM_SUSPEND_FLAG | DM_INACTIVE_PRESENT_FLAG),
              DM_ACTIVE_PRESENT_FLAG);
    EXPECT_EQ(h.data_size, 305u);
    EXPECT_EQ(by_dev.out.size(), 305u);
}

TEST_F(DmIoctlCodec, PersistentMinorIsHonouredOnceThenBusy) {
    Buffer b;
    b.name("p").flags(DM_PERSISTENT_DEV_FLAG).head().dev = makedev(254, 7);
    IoctlAnswer a = call(DM_DEV_CREATE_CMD, b);
    ASSERT_EQ(a.result, 0);
    EXPECT_EQ(out_head(a).dev, makedev(254, 7));
    EXPECT_TRUE(out_head(a).flags & DM_PERSISTENT_DEV_FLAG);  // in/out: flags are echoed
    Buffer again;
    again.name("q").flags(DM_PERSISTENT_DEV_FLAG).head().dev = makedev(254, 7);
    EXPECT_EQ(call(DM_DEV_CREATE_CMD, again).result, -EBUSY);
}

TEST_F(DmIoctlCodec, LoadSetsInactivePresentAndQueryInactiveCountsItsTargets) {
    make_linear("a");
    IoctlAnswer load = call(DM_TABLE_LOAD_CMD, Buffer()
                                                   .name("a")
                                                   .flags(DM_READONLY_FLAG)
                                                   .target(0, 1024, "linear", "1:1 0")
                                                   .target(1024, 1024, "zero", ""));
    ASSERT_EQ(load.result, 0);
    EXPECT_TRUE(out_head(load).flags & DM_INACTIVE_PRESENT_FLAG);
    EXPECT_EQ(out_head(load).target_count, 1u);  // the live table's
    IoctlAnswer q = call(DM_DEV_STATUS_CMD, Buffer().name("a").flags(DM_QUERY_INACTIVE_TABLE_FLAG));
    EXPECT_EQ(out_head(q).target_count, 2u);
    EXPECT_TRUE(out_head(q).flags & DM_READONLY_FLAG);
}

TEST_F(DmIoctlCodec, TableStatusChainsSpecsWithNextFromTheResultStart) {
    ASSERT_EQ(call(DM_DEV_CREATE_CMD, Buffer().name("s")).result, 0);
    ASSERT_EQ(call(DM_TABLE_LOAD_CMD, Buffer()
                                          .name("s")
                                          .target(0, 1024, "linear", "/dev/ram0 0")
                                          .target(1024, 1024, "linear", "1:1 2048"))
                  .result,
              0);
    ASSERT_EQ(call(DM_DEV_SUSPEND_CMD, Buffer().name("s")).result, 0);
    IoctlAnswer a = call(DM_TABLE_STATUS_CMD, Buffer().name("s").flags(DM_STATUS_TABLE_FLAG));
    ASSERT_EQ(a.result, 0);
    const dm_ioctl& h = out_head(a);
    ASSERT_EQ(h.data_start, 312u);
    EXPECT_EQ(h.target_count, 2u);
    const auto* first = reinterpret_cast<const dm_target_spec*>(a.out.data() + 312);
    EXPECT_EQ(first->length, 1024u);
    EXPECT_STREQ(first->target_type, "linear");
    EXPECT_STREQ(reinterpret_cast<const char*>(first + 1), "1:0 0");
    EXPECT_EQ(first->next, 48u);  // 40 + "1:0 0\0" rounded up to 8
    const auto* second = reinterpret_cast<const dm_target_spec*>(a.out.data() + 312 + first->next);
    EXPECT_EQ(second->sector_start, 1024u);
    EXPECT_STREQ(reinterpret_cast<const char*>(second + 1), "1:1 2048");
    EXPECT_EQ(h.data_size, 312u + 48 + 40 + 9);  // ends after the last NUL, not aligned
    EXPECT_EQ(a.out.size(), h.data_size);
}

TEST_F(DmIoctlCodec, TableStatusThatDoesNotFitSetsBufferFull) {
    make_linear("a");
    Buffer small(312 + 40);
    IoctlAnswer a = call(DM_TABLE_STATUS_CMD, small.name("a"));
    ASSERT_EQ(a.result, 0);
    EXPECT_TRUE(out_head(a).flags & DM_BUFFER_FULL_FLAG);
    EXPECT_EQ(out_head(a).data_size, 305u);
}

TEST_F(DmIoctlCodec, LoadWhoseNextLoopsIsEinvalAndChangesNothing) {
    make_linear("a");
    Buffer b;
    b.name("a").target(0, 1024, "zero", "").target(1024, 1024, "zero", "");
    reinterpret_cast<dm_target_spec*>(b.bytes.data() + 312)->next = 0;  // points at itself
    EXPECT_EQ(call(DM_TABLE_LOAD_CMD, b).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: unable to find target");
    EXPECT_EQ(dm_.find_mapped("a")->inactive(), nullptr);
}

TEST_F(DmIoctlCodec, LoadWithoutANulInParamsIsEinval) {
    make_linear("a");
    Buffer b(312 + 40 + 8);
    b.name("a").target(0, 8, "zero", "");
    std::memset(b.bytes.data() + 312 + 40, 'x', 8);
    EXPECT_EQ(call(DM_TABLE_LOAD_CMD, b).result, -EINVAL);
    EXPECT_EQ(dm_.find_mapped("a")->inactive(), nullptr);
}

TEST_F(DmIoctlCodec, BadPayloadOfAMissingDeviceIsStillEnxio) {
    Buffer b;
    b.name("nope").target(0, 8, "zero", "");
    reinterpret_cast<dm_target_spec*>(b.bytes.data() + 312)->next = 0;
    b.head().target_count = 2;
    EXPECT_EQ(call(DM_TABLE_LOAD_CMD, b).result, -ENXIO);
}

TEST_F(DmIoctlCodec, ListDevicesWithUuidsLaysOutNamesEventsAndUuids) {
    make_linear("b", "U-b");
    make_linear("a");
    IoctlAnswer a = call(DM_LIST_DEVICES_CMD, Buffer().flags(DM_UUID_FLAG));
    ASSERT_EQ(a.result, 0);
    const std::uint8_t* base = a.out.data() + 312;
    const auto* first = reinterpret_cast<const dm_name_list*>(base);
    EXPECT_STREQ(first->name, "a");
    EXPECT_EQ(first->dev, makedev(254, 1));
    const auto* ev = reinterpret_cast<const std::uint32_t*>(base + 16);  // align8(12 + 2)
    EXPECT_EQ(ev[1], unsigned(DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID));
    ASSERT_EQ(first->next, 24u);
    const auto* second = reinterpret_cast<const dm_name_list*>(base + 24);
    EXPECT_STREQ(second->name, "b");
    const auto* ev2 = reinterpret_cast<const std::uint32_t*>(base + 24 + 16);
    EXPECT_EQ(ev2[1], unsigned(DM_NAME_LIST_FLAG_HAS_UUID));
    EXPECT_STREQ(reinterpret_cast<const char*>(base + 24 + 24), "U-b");
    EXPECT_EQ(second->next, 0u);
    EXPECT_EQ(out_head(a).data_size, 312u + 24 + 32);
}

TEST_F(DmIoctlCodec, ListDevicesTooSmallSetsBufferFull) {
    make_linear("a");
    IoctlAnswer a = call(DM_LIST_DEVICES_CMD, Buffer(312 + 8));
    EXPECT_TRUE(out_head(a).flags & DM_BUFFER_FULL_FLAG);
    EXPECT_EQ(out_head(a).data_size, 305u);
}

TEST_F(DmIoctlCodec, EmptyListIsJustTheHeader) {
    IoctlAnswer a = call(DM_LIST_DEVICES_CMD, Buffer());
    EXPECT_EQ(out_head(a).data_size, 312u);
}

TEST_F(DmIoctlCodec, ListVersionsAndOneTargetVersion) {
    IoctlAnswer all = call(DM_LIST_VERSIONS_CMD, Buffer());
    ASSERT_EQ(all.result, 0);
    std::vector<std::string> names;
    for (std::size_t at = 312;;) {
        const auto* v = reinterpret_cast<const dm_target_versions*>(all.out.data() + at);
        names.emplace_back(v->name);
        if (v->next == 0) break;
        at += v->next;
    }
    EXPECT_NE(std::find(names.begin(), names.end(), "mirror"), names.end());
    EXPECT_EQ(names.size(), registry_.list().size());
    IoctlAnswer one = call(DM_GET_TARGET_VERSION_CMD, Buffer().name("striped"));
    ASSERT_EQ(one.result, 0);
    const auto* v = reinterpret_cast<const dm_target_versions*>(one.out.data() + 312);
    EXPECT_STREQ(v->name, "striped");
    EXPECT_EQ(v->next, 0u);
    EXPECT_EQ(call(DM_GET_TARGET_VERSION_CMD, Buffer().name("nosuch")).result, -EINVAL);
}

TEST_F(DmIoctlCodec, DepsListsDevnos) {
    make_linear("a");
    IoctlAnswer a = call(DM_TABLE_DEPS_CMD, Buffer().name("a"));
    ASSERT_EQ(a.result, 0);
    const auto* deps = reinterpret_cast<const dm_target_deps*>(a.out.data() + 312);
    ASSERT_EQ(deps->count, 1u);
    EXPECT_EQ(deps->dev[0], makedev(1, 0));
    EXPECT_EQ(out_head(a).data_size, 312u + 16);
}

TEST_F(DmIoctlCodec, RenameTakesTheNewNameFromDataStart) {
    make_linear("a");
    IoctlAnswer a = call(DM_DEV_RENAME_CMD, Buffer().name("a").data_string("b"));
    ASSERT_EQ(a.result, 0);
    EXPECT_STREQ(out_head(a).name, "a");  // dm_hash_rename writes nothing back
    EXPECT_NE(dm_.find_mapped("b"), nullptr);
    ASSERT_EQ(
        call(DM_DEV_RENAME_CMD, Buffer().name("b").flags(DM_UUID_FLAG).data_string("U-new")).result,
        0);
    EXPECT_EQ(dm_.find_mapped("b")->uuid(), "U-new");
    Buffer bad;
    bad.name("b").head().data_start = 200;
    EXPECT_EQ(call(DM_DEV_RENAME_CMD, bad).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(),
              "device-mapper: ioctl: Invalid new mapped device name or uuid string supplied.");
}

TEST_F(DmIoctlCodec, MessageToADeviceWithoutATableReturnsTwoAndCopiesNothing) {
    ASSERT_EQ(call(DM_DEV_CREATE_CMD, Buffer().name("e")).result, 0);
    IoctlAnswer a = call(DM_TARGET_MSG_CMD, Buffer().name("e").data_string("hello", 8));
    EXPECT_EQ(a.result, 2);
    EXPECT_EQ(a.out.size(), 12u);
}

TEST_F(DmIoctlCodec, MessageWithoutANulIsEinvalAfterTheLookup) {
    make_linear("a");
    Buffer b(320);
    b.name("a");
    std::memset(b.bytes.data() + 312 + 8 - 8, 0, 8);
    EXPECT_EQ(call(DM_TARGET_MSG_CMD, b).result, -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: Invalid target message parameters.");
    EXPECT_EQ(call(DM_TARGET_MSG_CMD, Buffer(320).name("missing")).result, -ENXIO);
}

TEST_F(DmIoctlCodec, UnsupportedCoreMessage) {
    make_linear("a");
    EXPECT_EQ(call(DM_TARGET_MSG_CMD, Buffer().name("a").data_string("@stats_list", 8)).result,
              -EINVAL);
    EXPECT_EQ(last_kernel_line(),
              "device-mapper: ioctl: Unsupported message sent to DM core: @stats_list");
}

TEST_F(DmIoctlCodec, GeometryIsParsedAndRangeChecked) {
    make_linear("a");
    IoctlAnswer ok = call(DM_DEV_SET_GEOMETRY_CMD, Buffer().name("a").data_string("16 4 32 0"));
    EXPECT_EQ(ok.result, 0);
    EXPECT_EQ(ok.out.size(), 12u);  // data_size 0: only the version goes back
    EXPECT_EQ(dm_.find_mapped("a")->geometry().heads, 4u);
    EXPECT_EQ(call(DM_DEV_SET_GEOMETRY_CMD, Buffer().name("a").data_string("16 4 x 0")).result,
              -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: Unable to interpret geometry settings.");
    EXPECT_EQ(call(DM_DEV_SET_GEOMETRY_CMD, Buffer().name("a").data_string("16 256 32 0")).result,
              -EINVAL);
    EXPECT_EQ(last_kernel_line(), "device-mapper: ioctl: Geometry exceeds range limits.");
}

TEST_F(DmIoctlCodec, WaitReturnsOnceTheEventNumberMoves) {
    make_linear("a");
    const std::uint32_t seen = dm_.find_mapped("a")->event_nr();
    Buffer b;
    b.name("a").head().event_nr = seen;
    const std::uint32_t command =
        _IOC(_IOC_READ | _IOC_WRITE, DM_IOCTL, DM_DEV_WAIT_CMD, sizeof(dm_ioctl));
    DecodedIoctl d = decode_dm_ioctl(command, b.bytes);
    ASSERT_EQ(d.error, 0);
    std::optional<DmReply> waited;
    boost::asio::co_spawn(
        ctx_, [&]() -> boost::asio::awaitable<void> { waited = co_await dm_.ioctl(d.request); },
        boost::asio::detached);
    clock_.run_until_idle();
    EXPECT_FALSE(waited.has_value());  // no event yet: still waiting
    dm_.find_mapped("a")->raise_event();
    clock_.run_until_idle();
    ASSERT_TRUE(waited.has_value());
    IoctlAnswer a = encode_dm_ioctl_answer(d, *waited);
    EXPECT_EQ(out_head(a).event_nr, seen + 1);
    EXPECT_EQ(out_head(a).target_count, 1u);
    EXPECT_EQ(out_head(a).data_start, 312u);
}

}  // namespace
}  // namespace dmemu::emu::testing
