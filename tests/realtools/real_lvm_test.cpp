// SPDX-License-Identifier: GPL-2.0-only
// The real LVM2 (Debian 12's lvm2 2.03.16) against the daemon through `dmemu exec`, with no root:
// PVs are dmemu disks (DIR/dev/ramN) and a dm linear device over a disk (DIR/dev/mapper/pv3, as
// LVM2's own test suite makes its PVs), the configuration is the one `dmemu exec` writes
// (tools/dmemu/lvm_config.hpp). Every test checks the data, not only exit codes: an ext4
// filesystem holding a seeded data set (written and read back with debugfs, which needs no
// mount), checked with e2fsck, or checksums of the LV's bytes.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "tests/realtools/real_tools_fixture.hpp"

namespace dmemu::realtools_test {
namespace {

namespace fs = std::filesystem;
using cli_test::ProgramResult;

constexpr const char* kLvm = "/usr/sbin/lvm";
constexpr const char* kDebugfs = "/usr/sbin/debugfs";
constexpr const char* kFio = "/usr/bin/fio";

std::string fixtures_lvm_dir() {
    const char* env = std::getenv("DMEMU_FIXTURES_LVM_DIR");
    return env && *env ? env : DMEMU_FIXTURES_LVM_DIR;
}

class RealLvm : public RealToolsTest {
protected:
    void SetUp() override {
        RealToolsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        DMEMU_REQUIRE(program_verdict(kLvm, &dmemu_why_));
        DMEMU_REQUIRE(program_verdict(kDebugfs, &dmemu_why_));
        DMEMU_REQUIRE(program_verdict(kFio, &dmemu_why_));
    }
    std::vector<std::string> start_options() const override {
        return {"--ioctl-trace", (scratch_ / "ioctl.jsonl").string()};
    }

    // bash -c SCRIPT under `dmemu exec`, with `set -eu`, D=DIR/dev and S=the scratch directory.
    ProgramResult lvm(const std::string& script) {
        return exec_shell(
            fmt::format("set -eu; D={}/dev; S={}; {}", dir_.string(), scratch_.string(), script));
    }
    void lvm_ok(const std::string& script) {
        const ProgramResult r = lvm(script);
        ASSERT_EQ(r.exit_code, 0) << script << "\n" << r.out << r.err;
    }
    std::string lvm_out(const std::string& script) {
        const ProgramResult r = lvm(script);
        EXPECT_EQ(r.exit_code, 0) << script << "\n" << r.out << r.err;
        return r.out;
    }

    // PVs ram0, ram1 and pv3 (dm linear over ram2) in VG vg. pv3 starts 1 MiB into ram2, as
    // LVM2's test suite lays its PVs out: ram2 itself then carries no PV label, which LVM would
    // otherwise find twice ("Cannot use device ... with duplicates").
    void make_vg() {
        lvm_ok(
            "dmsetup create pv3 --table '0 129024 linear /dev/ram2 2048'; "
            "pvcreate -q $D/ram0 $D/ram1 $D/mapper/pv3; vgcreate -q vg $D/ram0 $D/ram1 "
            "$D/mapper/pv3");
    }

    // A file of `bytes` pseudo-random bytes from `seed`, in the scratch directory.
    std::string data_set(std::uint64_t seed, std::size_t bytes) {
        const fs::path p = scratch_ / fmt::format("data-{}", seed);
        std::mt19937_64 gen(seed);
        std::string buf(bytes, '\0');
        for (std::size_t i = 0; i < bytes; i += 8) {
            const std::uint64_t v = gen();
            std::memcpy(buf.data() + i, &v, std::min<std::size_t>(8, bytes - i));
        }
        std::ofstream(p, std::ios::binary) << buf;
        return p.string();
    }
    // mkfs.ext4 on LV (a path under $D) and the data set written into it as /data.
    void ext4_with_data(const std::string& lv, const std::string& data) {
        lvm_ok(fmt::format("mkfs.ext4 -q {0}; debugfs -w -R 'write {1} data' {0} >/dev/null 2>&1",
                           lv, data));
        expect_ext4_with_data(lv, data);
    }
    // e2fsck finds the filesystem clean and /data reads back identical.
    void expect_ext4_with_data(const std::string& lv, const std::string& data) {
        const ProgramResult r =
            lvm(fmt::format("e2fsck -fn {0} >/dev/null; rm -f $S/out; debugfs -R 'dump data "
                            "'$S/out {0} >/dev/null 2>&1; "
                            "cmp {1} $S/out && echo same",
                            lv, data));
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_EQ(r.out, "same\n") << r.err;
    }
    // make_vg(), then LV vg/lv of `size` on ram0 holding ext4 with data set `seed` (its path).
    std::string lv_with_ext4_data(std::uint64_t seed, std::size_t bytes, const std::string& size) {
        make_vg();
        const std::string data = data_set(seed, bytes);
        lvm_ok("lvcreate -q -n lv -L " + size + " vg $D/ram0");
        ext4_with_data("$D/vg/lv", data);
        return data;
    }
    std::string devices_of(const std::string& lv) {
        return lvm_out("lvs --noheadings -o devices " + lv + " | tr -d ' '");
    }
    // Waits (at most a minute) until vg has no pvmove0; each poll's copy_percent is appended to
    // $S/percents.
    void wait_for_pvmove_end() {
        lvm_ok(
            "for i in $(seq 600); do "
            "  p=$(lvs --noheadings -a -o lv_name,copy_percent vg | awk '$1==\"[pvmove0]\"{print "
            "$2}'); "
            "  [ -n \"$p\" ] || exit 0; echo \"$p\" >> $S/percents; sleep 0.1; "
            "done; echo 'pvmove0 still there after a minute'; exit 1");
    }
    std::vector<double> percents() {
        std::vector<double> out;
        std::ifstream in(scratch_ / "percents");
        for (double p; in >> p;) out.push_back(p);
        return out;
    }
    // The device-mapper operations since the last call, from the daemon's --ioctl-trace.
    std::vector<nlohmann::json> take_trace() {
        std::vector<nlohmann::json> out;
        std::ifstream in(scratch_ / "ioctl.jsonl");
        in.seekg(static_cast<std::streamoff>(trace_offset_));
        for (std::string line; std::getline(in, line);) {
            trace_offset_ += line.size() + 1;
            out.push_back(nlohmann::json::parse(line));
        }
        return out;
    }

    std::size_t trace_offset_ = 0;
};

TEST_F(RealLvm, PvmoveMovesAnExt4LvWithItsData) {
    make_vg();
    const std::string data = data_set(1, 3 << 20);
    lvm_ok("lvcreate -q -n lv -L 40M vg $D/ram0");
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram0(0)\n");
    ext4_with_data("$D/vg/lv", data);
    lvm_ok("pvmove -i0 $D/ram0 $D/ram1");
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram1(0)\n");
    expect_ext4_with_data("$D/vg/lv", data);
    // onto the dm PV, and the LV's node by its /dev/mapper name
    lvm_ok("pvmove -i0 $D/ram1 $D/mapper/pv3");
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/mapper/pv3(0)\n");
    expect_ext4_with_data("$D/mapper/vg-lv", data);
    // what the kernel side holds: the LV over pv3, pv3 over ram2, no pvmove0 left
    EXPECT_EQ(lvm_out("dmsetup table vg-lv; dmsetup ls | cut -f1 | sort | tr '\\n' ' '"),
              "0 81920 linear 254:0 2048\npv3 vg-lv ");
    EXPECT_EQ(lvm_out("ls /sys/block/dm-0/holders"), "dm-1\n");
}

// LVM opens a device it is about to write a label on with O_EXCL: the kernel refuses that
// exclusive open while a table holds the device (bd_prepare_to_claim), and LVM says why.
TEST_F(RealLvm, PvcreateOnADiskATableHoldsIsRefused) {
    make_vg();  // pv3 is a table over ram2
    const ProgramResult r = lvm("pvcreate -y -ff $D/ram2");
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(
        r.err.find("Can't open " + dir_.string() + "/dev/ram2 exclusively.  Mounted filesystem?"),
        std::string::npos)
        << r.err;
}

TEST_F(RealLvm, BackgroundPvmoveIsPolledToTheEnd) {
    const std::string data = lv_with_ext4_data(2, 2 << 20, "40M");
    // A slow destination, so that the copy is seen under way.
    ASSERT_EQ(setup({"fault", "add", "ram1", "latency", "ms=100", "op=write"}).exit_code, 0);
    lvm_ok("pvmove -b -i1 $D/ram0 $D/ram1");
    wait_for_pvmove_end();
    const std::vector<double> seen = percents();
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](double p) { return p > 0 && p < 100; }))
        << "no poll saw the copy under way";
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram1(0)\n");
    ASSERT_EQ(setup({"fault", "clear", "ram1"}).exit_code, 0);
    expect_ext4_with_data("$D/vg/lv", data);
}

TEST_F(RealLvm, PvmoveOfOneLvLeavesTheOthers) {
    make_vg();
    lvm_ok("lvcreate -q -n a -L 8M vg $D/ram0; lvcreate -q -n b -L 8M vg $D/ram0");
    const std::string da = data_set(3, 8 << 20), db = data_set(4, 8 << 20);
    lvm_ok(
        fmt::format("dd if={} of=$D/vg/a bs=1M oflag=direct status=none; "
                    "dd if={} of=$D/vg/b bs=1M oflag=direct status=none",
                    da, db));
    lvm_ok("pvmove -i0 -n a $D/ram0 $D/ram1");
    EXPECT_EQ(devices_of("vg/a"), dir_.string() + "/dev/ram1(0)\n");
    EXPECT_EQ(devices_of("vg/b"), dir_.string() + "/dev/ram0(2)\n");
    EXPECT_EQ(lvm_out(fmt::format("cmp {} $D/vg/a && cmp {} $D/vg/b && echo same", da, db)),
              "same\n");
}

TEST_F(RealLvm, AbortHalfWayLeavesTheLvOnItsSource) {
    const std::string data = lv_with_ext4_data(5, 3 << 20, "40M");
    ASSERT_EQ(setup({"fault", "add", "ram1", "latency", "ms=200", "op=write"}).exit_code, 0);
    lvm_ok("pvmove -b -i1 $D/ram0 $D/ram1");
    // Half way: a poll that sees the copy started and not done, then --abort.
    lvm_ok(
        "for i in $(seq 600); do "
        "  p=$(lvs --noheadings -a -o lv_name,copy_percent vg | awk '$1==\"[pvmove0]\"{print "
        "$2}'); "
        "  case \"$p\" in ''|0.00|100.00) sleep 0.05;; *) echo \"$p\" > $S/at; exit 0;; esac; "
        "done; exit 1");
    lvm_ok("pvmove --abort");
    wait_for_pvmove_end();
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram0(0)\n");
    EXPECT_EQ(lvm_out("dmsetup ls | cut -f1 | sort | tr '\\n' ' '"), "pv3 vg-lv ");
    ASSERT_EQ(setup({"fault", "clear", "ram1"}).exit_code, 0);
    expect_ext4_with_data("$D/vg/lv", data);
}

TEST_F(RealLvm, FioVerifiesWhilePvmoveSwapsTheTables) {
    make_vg();
    lvm_ok("lvcreate -q -n lv -L 32M vg $D/ram0");
    ASSERT_EQ(setup({"fault", "add", "ram1", "latency", "ms=2", "op=write"}).exit_code, 0);
    // fio writes blocks with a crc32c header and reads each back soon after (verify_backlog),
    // from before pvmove starts until after it ends (it is stopped with SIGINT then, which fio
    // answers by finishing the job: exit 128, "err= 0" unless a block failed its check), while
    // pvmove suspends the LV, mirrors it and resumes it onto ram1.
    const ProgramResult r = lvm(
        "cd $S; fio --name=v --filename=$D/vg/lv --direct=1 --ioengine=psync --rw=randwrite "
        "--bs=4k "
        "--size=16M --time_based --runtime=300 --verify=crc32c --verify_backlog=256 "
        "--verify_fatal=1 "
        "--verify_state_save=0 --output=$S/fio.out & f=$!; sleep 1; "
        "kill -0 $f && echo 'fio running as pvmove starts'; pvmove -i1 $D/ram0 $D/ram1 >/dev/null; "
        "kill -0 $f && echo 'fio still running after pvmove'; kill -INT $f; wait $f || true; "
        "grep -c 'err= 0' $S/fio.out; grep -ci 'verify\\|bad magic\\|crc' $S/fio.out || true");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "fio running as pvmove starts\nfio still running after pvmove\n1\n0\n")
        << r.err;
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram1(0)\n");
    const auto trace = take_trace();
    EXPECT_TRUE(std::any_of(trace.begin(), trace.end(), [](const nlohmann::json& j) {
        return j["cmd"] == "dev_remove" && j.value("error", 1) == 0;
    })) << "pvmove0 was never removed";
}

TEST_F(RealLvm, MirrorLvLifecycle) {
    make_vg();
    const std::string data = data_set(6, 2 << 20);
    auto wait_synced = [&](const std::string& lv) {
        lvm_ok(
            "for i in $(seq 600); do "
            "  p=$(lvs --noheadings -o copy_percent " +
            lv +
            " | tr -d ' '); "
            "  [ \"$p\" = 100.00 ] && exit 0; sleep 0.1; done; exit 1");
    };
    lvm_ok("lvcreate -q --type mirror -m1 --mirrorlog core -L 24M -n m vg $D/ram0 $D/ram1");
    wait_synced("vg/m");
    EXPECT_EQ(lvm_out("dmsetup table vg-m | cut -d' ' -f3-7"), "mirror core 1 4096 2\n");
    ext4_with_data("$D/vg/m", data);
    // both legs hold the same bytes
    EXPECT_EQ(lvm_out("cmp $D/mapper/vg-m_mimage_0 $D/mapper/vg-m_mimage_1 && echo same"),
              "same\n");
    lvm_ok("lvconvert -y -m0 vg/m");
    EXPECT_EQ(lvm_out("dmsetup table vg-m | cut -d' ' -f3"), "linear\n");
    expect_ext4_with_data("$D/vg/m", data);
    lvm_ok("lvconvert -y --type mirror -m1 --mirrorlog disk vg/m $D/ram1 $D/mapper/pv3");
    wait_synced("vg/m");
    EXPECT_EQ(lvm_out("dmsetup table vg-m | cut -d' ' -f3-5"), "mirror disk 2\n");
    expect_ext4_with_data("$D/vg/m", data);
    lvm_ok("lvextend -q -L+8M vg/m; resize2fs -f $D/vg/m >/dev/null 2>&1");
    wait_synced("vg/m");
    EXPECT_EQ(lvm_out("blockdev --getsize64 $D/vg/m"), "33554432\n");
    expect_ext4_with_data("$D/vg/m", data);
    lvm_ok("lvrename -q vg m m2");
    lvm_ok("vgchange -q -an vg");
    EXPECT_EQ(lvm_out("dmsetup ls | cut -f1 | tr '\\n' ' '; ls $D/vg 2>&1 | wc -l"), "pv3 1\n");
    lvm_ok("vgchange -q -ay vg");
    expect_ext4_with_data("$D/vg/m2", data);
    lvm_ok("lvremove -q -y vg/m2; vgremove -q vg; pvremove -q $D/ram0 $D/ram1 $D/mapper/pv3");
    EXPECT_EQ(lvm_out("pvs --noheadings | wc -l; dmsetup ls | cut -f1"), "0\npv3\n");
}

TEST_F(RealLvm, PvmoveOntoADiskThatFailsWritesIsLvmsErrorAndTheSourceStays) {
    const std::string data = lv_with_ext4_data(7, 2 << 20, "24M");
    ASSERT_EQ(setup({"fault", "add", "ram1", "eio", "op=write"}).exit_code, 0);
    const ProgramResult r = lvm("pvmove -i0 $D/ram0 $D/ram1");
    EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
    EXPECT_NE(r.err.find("Error writing device " + dir_.string() + "/dev/ram1"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("Failed to write VG vg."), std::string::npos) << r.err;
    ASSERT_EQ(setup({"fault", "clear", "ram1"}).exit_code, 0);
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram0(0)\n");
    expect_ext4_with_data("$D/vg/lv", data);
}

// The kernel's own hazard, pinned: pvmove's mirror has no handle_errors, so kcopyd's recovery
// write errors are ignored and the region counts as copied (dm-raid1.c recover(), IGNORE_ERROR;
// the oracle's mirror-resync-and-failures step 28 shows 64/64 AA with an error leg). When only
// the destination's data area fails, LVM finishes the move and the LV reads what the failing
// disk holds: the data set is gone. dmemu must keep doing what the kernel does.
TEST_F(RealLvm, PvmoveOntoADataAreaThatFailsWritesCompletesAndLosesTheDataAsTheKernelDoes) {
    make_vg();
    const std::string data = data_set(8, 8 << 20);
    lvm_ok("lvcreate -q -n lv -L 8M vg $D/ram0");
    lvm_ok("dd if=" + data + " of=$D/vg/lv bs=1M oflag=direct status=none");
    // PV data starts at sector 2048: the metadata area stays writable
    ASSERT_EQ(setup({"fault", "add", "ram1", "eio", "sectors=2048-131071", "op=write"}).exit_code,
              0);
    lvm_ok("pvmove -i0 $D/ram0 $D/ram1");
    EXPECT_EQ(devices_of("vg/lv"), dir_.string() + "/dev/ram1(0)\n");
    const ProgramResult cmp = lvm("cmp -s " + data + " $D/vg/lv && echo same || echo differs");
    EXPECT_EQ(cmp.out, "differs\n");
    EXPECT_EQ(lvm_out("$DMEMU_SETUP --dir " + dir_.string() +
                      " dmesg | grep -c 'Write error during recovery' || true"),
              "0\n");
}

// What pvmove does to the tables, as the daemon's --ioctl-trace records it, against
// fixtures/lvm/pvmove-segments.trace: one mirrored segment at a time, the LVs suspended before
// pvmove0 resumes, pvmove0 replaced by `error` and removed at the end.
TEST_F(RealLvm, PvmoveTableSwapsMatchTheGolden) {
    make_vg();
    // a: two segments on ram0 with b's between them; all three move.
    lvm_ok(
        "lvcreate -q -n a -L 8M vg $D/ram0; lvcreate -q -n b -L 8M vg $D/ram0; "
        "lvextend -q -L 16M vg/a $D/ram0");
    take_trace();
    lvm_ok("pvmove -i0 $D/ram0 $D/ram1");
    // The operations that change state, one line each; uuids numbered in order of appearance.
    std::map<std::string, std::string> uuids;
    std::string text;
    for (const auto& j : take_trace()) {
        const std::string cmd = j["cmd"];
        if (cmd != "dev_create" && cmd != "table_load" && cmd != "dev_suspend" &&
            cmd != "dev_remove" && cmd != "table_clear" && cmd != "dev_rename")
            continue;
        std::string line =
            cmd == "dev_suspend" ? (j["suspend"].get<bool>() ? "suspend" : "resume") : cmd;
        if (j.contains("name")) line += " " + j["name"].get<std::string>();
        if (j.contains("devt")) line += " " + j["devt"].get<std::string>();
        if (j.contains("uuid")) {
            const std::string u = j["uuid"];
            if (!uuids.count(u)) uuids[u] = fmt::format("uuid{}", uuids.size() + 1);
            line += " " + uuids[u];
        }
        if (j.contains("flags"))
            for (const auto& f : j["flags"]) line += " +" + f.get<std::string>();
        if (j.value("error", 0) != 0) line += fmt::format(" error={}", j["error"].get<int>());
        text += line + "\n";
        if (j.contains("targets"))
            for (const auto& t : j["targets"]) text += "    " + t.get<std::string>() + "\n";
    }
    // The disks' devnos are fixed (1:0..1:3), the dm minors follow creation order: 254:0 pv3,
    // 254:1 vg-a, 254:2 vg-b, 254:3 vg-pvmove0. Sectors are PV-relative (pe_start 2048).
    const fs::path golden = fs::path(fixtures_lvm_dir()) / "pvmove-segments.trace";
    if (std::getenv("DMEMU_UPDATE_GOLDEN")) std::ofstream(golden) << text;
    std::ifstream in(golden);
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(text, want.str()) << "set DMEMU_UPDATE_GOLDEN=1 to rewrite " << golden;

    // The properties the golden shows, checked on their own.
    std::istringstream lines(text);
    std::vector<std::string> ops;
    for (std::string l; std::getline(lines, l);)
        if (l.rfind("    ", 0) != 0) ops.push_back(l);
    int mirror_loads = 0;
    for (std::size_t at = 0; (at = text.find(" mirror core ", at)) != std::string::npos; ++at)
        ++mirror_loads;
    EXPECT_EQ(mirror_loads, 3) << "one mirrored segment per load of pvmove0, three segments";
    ASSERT_FALSE(ops.empty());
    EXPECT_EQ(ops.front().rfind("dev_create vg-pvmove0", 0), 0u) << text;
    EXPECT_EQ(ops.back(), "dev_remove 254:3") << text;
    const auto first = [&](const std::string& op) {
        return std::find(ops.begin(), ops.end(), op) - ops.begin();
    };
    EXPECT_LT(first("suspend 254:1 +nolockfs"), first("resume 254:3")) << text;
    EXPECT_LT(first("suspend 254:2 +nolockfs"), first("resume 254:3")) << text;
    EXPECT_LT(first("resume 254:3"), first("resume 254:1")) << text;
}

}  // namespace
}  // namespace dmemu::realtools_test
