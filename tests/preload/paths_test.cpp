// SPDX-License-Identifier: GPL-2.0-only
// tools/preload/paths.c: which path is ours by its text, where it maps, what a node symlink's
// target says, and DMEMU_DIR as the library reads it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "tools/preload/preload.h"

namespace {

namespace fs = std::filesystem;

struct RuleCase {
    const char* path;
    dmemu_rule rule;
    std::size_t key_len;  // DMEMU_RULE_SYS only
};

TEST(PreloadPathRule, ClassifiesByExactText) {
    const RuleCase cases[] = {
        {"/dev/mapper", DMEMU_RULE_MAPPER_DIR, 0},
        {"/dev/mapper/", DMEMU_RULE_MAPPER_DIR, 0},
        {"/dev/mapper/lin", DMEMU_RULE_MAPPER_NODE, 0},
        {"/dev/mapper/control", DMEMU_RULE_MAPPER_NODE, 0},
        {"/dev/mapper/vg-lv_x", DMEMU_RULE_MAPPER_NODE, 0},
        {"/dev/mapper/a/b", DMEMU_RULE_MAPPER_OTHER, 0},
        {"/dev/mapper/.", DMEMU_RULE_MAPPER_OTHER, 0},
        {"/dev/mapper/..", DMEMU_RULE_MAPPER_OTHER, 0},
        {"/dev/mapperx", DMEMU_RULE_DEV_NAME, 0},
        {"/dev/dm-0", DMEMU_RULE_DM_NODE, 0},
        {"/dev/dm-12", DMEMU_RULE_DM_NODE, 0},
        {"/dev/dm-", DMEMU_RULE_DEV_NAME, 0},
        {"/dev/dm-1a", DMEMU_RULE_DEV_NAME, 0},
        {"/dev/ram0", DMEMU_RULE_DEV_NAME, 0},
        {"/dev/null", DMEMU_RULE_DEV_NAME, 0},
        {"/dev/", DMEMU_RULE_HOST, 0},
        {"/dev", DMEMU_RULE_HOST, 0},
        {"/dev/.", DMEMU_RULE_HOST, 0},
        {"/dev/..", DMEMU_RULE_HOST, 0},
        {"/dev/block/253:0", DMEMU_RULE_HOST, 0},
        {"/dev/disk/by-id/x", DMEMU_RULE_DEV_LINK, 0},
        {"/dev/vg/lv", DMEMU_RULE_DEV_LINK, 0},
        {"/dev/vg/./lv", DMEMU_RULE_HOST, 0},
        {"/dev/vg/../mapper/lin", DMEMU_RULE_HOST, 0},
        {"/dev/vg//lv", DMEMU_RULE_HOST, 0},
        {"/dev/vg/", DMEMU_RULE_HOST, 0},
        {"/proc/devices", DMEMU_RULE_PROC_DEVICES, 0},
        {"/proc/devices/", DMEMU_RULE_HOST, 0},
        {"/proc/misc", DMEMU_RULE_HOST, 0},
        {"/sys/dev/block/253:0", DMEMU_RULE_SYS, 20},
        {"/sys/dev/block/253:0/dm/name", DMEMU_RULE_SYS, 20},
        {"/sys/dev/block/1:0/", DMEMU_RULE_SYS, 18},
        {"/sys/block/dm-0/size", DMEMU_RULE_SYS, 15},
        {"/sys/block/ram0", DMEMU_RULE_SYS, 15},
        {"/sys/block", DMEMU_RULE_HOST, 0},
        {"/sys/block/", DMEMU_RULE_HOST, 0},
        {"/sys/block/../x", DMEMU_RULE_HOST, 0},
        {"/sys/dev/block/./x", DMEMU_RULE_HOST, 0},
        {"/sys/dev/block", DMEMU_RULE_HOST, 0},
        {"/sys/class/block/dm-0", DMEMU_RULE_HOST, 0},
        {"dev/mapper/lin", DMEMU_RULE_HOST, 0},
        {"//dev/mapper/lin", DMEMU_RULE_HOST, 0},
        {"/tmp/dev/mapper/lin", DMEMU_RULE_HOST, 0},
        {"", DMEMU_RULE_HOST, 0},
    };
    for (const auto& c : cases) {
        std::size_t key = 0;
        EXPECT_EQ(dmemu_path_rule(c.path, &key), c.rule) << c.path;
        if (c.rule == DMEMU_RULE_SYS) {
            EXPECT_EQ(key, c.key_len) << c.path;
        }
    }
}

dmemu_node parsed(const std::string& text, int* r) {
    dmemu_node node{};
    *r = dmemu_parse_node(text.data(), text.size(), &node);
    return node;
}

TEST(PreloadParseNode, ReadsBlockAndCharTargets) {
    int r = 1;
    dmemu_node n = parsed("b:253:0", &r);
    EXPECT_EQ(r, 0);
    EXPECT_EQ(n.type, S_IFBLK);
    EXPECT_EQ(n.major, 253u);
    EXPECT_EQ(n.minor, 0u);
    n = parsed("c:10:236", &r);
    EXPECT_EQ(r, 0);
    EXPECT_EQ(n.type, S_IFCHR);
    EXPECT_EQ(n.major, 10u);
    EXPECT_EQ(n.minor, 236u);
    n = parsed("b:4095:1048575", &r);
    EXPECT_EQ(r, 0);
    EXPECT_EQ(n.major, 4095u);
    EXPECT_EQ(n.minor, 1048575u);
}

TEST(PreloadParseNode, RejectsAnythingElse) {
    for (const char* text :
         {"", "b", "b:", "b:253", "b:253:", "b::0", "x:1:2", "B:1:2", "b:1:2:3", "b:-1:0", "b: 1:0",
          "b:1:0 ", "b:1:0\n", "b:4294967296:0", "../../mnt/mapper/lin", "b-1-0"}) {
        int r = 0;
        parsed(text, &r);
        EXPECT_EQ(r, -EINVAL) << '"' << text << '"';
    }
}

class PreloadClassify : public ::testing::Test {
protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "dmemu-paths-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        fs::create_directories(dir_ / "dev" / "mapper");
        fs::create_directories(dir_ / "sys" / "block" / "dm-0");
        fs::create_directories(dir_ / "sys" / "dev" / "block");
        fs::create_directories(dir_ / "proc");
        fs::create_symlink("c:10:236", dir_ / "dev" / "mapper" / "control");
        fs::create_symlink("b:253:0", dir_ / "dev" / "mapper" / "lin");
        fs::create_symlink("b:253:0", dir_ / "dev" / "dm-0");
        fs::create_symlink("b:1:0", dir_ / "dev" / "ram0");
        fs::create_symlink("../ram0", dir_ / "dev" / "notnode");
        std::ofstream(dir_ / "dev" / "mapper" / "stray") << "x";
        std::ofstream(dir_ / "sys" / "block" / "dm-0" / "size") << "2048\n";
        fs::create_symlink("../../block/dm-0", dir_ / "sys" / "dev" / "block" / "253:0");
    }
    void TearDown() override { fs::remove_all(dir_); }

    dmemu_kind classify(const std::string& path) {
        return dmemu_classify_in(dir_.c_str(), path.c_str(), &p_);
    }
    std::string in_dir(const std::string& path) const { return dir_.string() + path; }

    fs::path dir_;
    dmemu_path p_{};
};

TEST_F(PreloadClassify, MapperNodeIsReadFromItsSymlink) {
    ASSERT_EQ(classify("/dev/mapper/lin"), DMEMU_NODE);
    EXPECT_EQ(p_.mapped, in_dir("/dev/mapper/lin"));
    EXPECT_EQ(p_.in_mapper, 1);
    EXPECT_EQ(p_.node_err, 0);
    EXPECT_EQ(p_.node.type, S_IFBLK);
    EXPECT_EQ(p_.node.major, 253u);
    EXPECT_EQ(p_.node.minor, 0u);
    EXPECT_TRUE(S_ISLNK(p_.link.st_mode));
}

TEST_F(PreloadClassify, ControlIsACharNode) {
    ASSERT_EQ(classify("/dev/mapper/control"), DMEMU_NODE);
    EXPECT_EQ(p_.node.type, S_IFCHR);
    EXPECT_EQ(p_.node.major, 10u);
    EXPECT_EQ(p_.node.minor, 236u);
}

TEST_F(PreloadClassify, MissingMapperNameIsOursAndEnoent) {
    ASSERT_EQ(classify("/dev/mapper/gone"), DMEMU_NODE);
    EXPECT_EQ(p_.node_err, -ENOENT);
    ASSERT_EQ(classify("/dev/dm-7"), DMEMU_NODE);
    EXPECT_EQ(p_.node_err, -ENOENT);
    EXPECT_EQ(p_.in_mapper, 0);
}

TEST_F(PreloadClassify, DiskNodeIsOursOnlyWhenDirHasIt) {
    ASSERT_EQ(classify("/dev/ram0"), DMEMU_NODE);
    EXPECT_EQ(p_.node.major, 1u);
    EXPECT_EQ(p_.in_mapper, 0);
    EXPECT_EQ(classify("/dev/null"), DMEMU_HOST);
    EXPECT_EQ(classify("/dev/notnode"), DMEMU_HOST);  // a symlink, but no node target
}

TEST_F(PreloadClassify, DirectoriesAndFilesMapUnderDir) {
    ASSERT_EQ(classify("/dev/mapper"), DMEMU_FILE);
    EXPECT_EQ(p_.mapped, in_dir("/dev/mapper"));
    ASSERT_EQ(classify("/dev/mapper/stray"), DMEMU_FILE);  // not a node: served as it is
    EXPECT_EQ(p_.mapped, in_dir("/dev/mapper/stray"));
    ASSERT_EQ(classify("/proc/devices"), DMEMU_FILE);
    EXPECT_EQ(p_.mapped, in_dir("/proc/devices"));
    ASSERT_EQ(classify("/sys/dev/block/253:0/size"), DMEMU_FILE);
    EXPECT_EQ(p_.mapped, in_dir("/sys/dev/block/253:0/size"));
    ASSERT_EQ(classify("/sys/block/dm-0"), DMEMU_FILE);
    EXPECT_EQ(p_.mapped, in_dir("/sys/block/dm-0"));
}

TEST_F(PreloadClassify, SysEntriesDirDoesNotHaveAreTheHosts) {
    EXPECT_EQ(classify("/sys/dev/block/8:0/size"), DMEMU_HOST);
    EXPECT_EQ(classify("/sys/block/sda"), DMEMU_HOST);
    EXPECT_EQ(classify("/sys/kernel/mm"), DMEMU_HOST);
}

TEST_F(PreloadClassify, DirDevIsTheSameNamespace) {
    // DM_DEV_DIR=DIR/dev, or LVM's devices/dir = DIR/dev, reach the same nodes.
    ASSERT_EQ(classify(in_dir("/dev/mapper/lin")), DMEMU_NODE);
    EXPECT_EQ(p_.mapped, in_dir("/dev/mapper/lin"));
    EXPECT_EQ(p_.in_mapper, 1);
    EXPECT_EQ(p_.node.major, 253u);
    ASSERT_EQ(classify(in_dir("/dev/ram0")), DMEMU_NODE);
    EXPECT_EQ(p_.node.major, 1u);
    EXPECT_EQ(classify(in_dir("/dev/mapper")), DMEMU_FILE);
    EXPECT_EQ(classify(in_dir("/dev/notnode")), DMEMU_HOST);
    EXPECT_EQ(classify(in_dir("/devices")), DMEMU_HOST);
}

// LVM (devices/dir = DIR/dev) links DIR/dev/VG/LV to DIR/dev/mapper/VG-LV, a real symlink to our
// node symlink: calls that follow links must reach the node, lstat and readlink the link.
TEST_F(PreloadClassify, LinkChainsEndingAtANodeAreThatNode) {
    fs::create_directories(dir_ / "dev" / "vg");
    fs::create_symlink(in_dir("/dev/mapper/lin"), dir_ / "dev" / "vg" / "lv");  // LVM's spelling
    fs::create_symlink("../mapper/lin", dir_ / "dev" / "vg" / "rel");           // udev's spelling
    fs::create_symlink("vg/lv", dir_ / "dev" / "alias");                        // two hops
    fs::create_symlink("/dev/ram0", dir_ / "dev" / "vg" / "disk");              // via "/dev/..."
    fs::create_symlink(in_dir("/dev/mapper/gone"), dir_ / "dev" / "vg" / "stale");
    for (const std::string start : {"/dev/vg/lv", "/dev/vg/rel", "/dev/alias"}) {
        for (const bool dir_spelt : {false, true}) {
            const std::string path = dir_spelt ? in_dir(start) : start;
            ASSERT_EQ(classify(path), DMEMU_NODE) << path;
            EXPECT_EQ(p_.via_link, 1) << path;
            EXPECT_EQ(p_.node_err, 0) << path;
            EXPECT_EQ(p_.node.major, 253u) << path;
            EXPECT_EQ(p_.in_mapper, 0) << path;  // libdm's mknod/unlink rules are not the link's
            EXPECT_EQ(p_.mapped, in_dir(start)) << path;  // the link itself
            EXPECT_STREQ(p_.resolved, in_dir("/dev/mapper/lin").c_str()) << path;
            EXPECT_STREQ(
                p_.resolved + p_.resolved_from,
                (dir_spelt ? in_dir("/dev/mapper/lin") : std::string("/dev/mapper/lin")).c_str())
                << path;
        }
    }
    ASSERT_EQ(classify("/dev/vg/disk"), DMEMU_NODE);
    EXPECT_EQ(p_.node.major, 1u);
    ASSERT_EQ(classify("/dev/vg/stale"), DMEMU_NODE);  // the LV's node is gone: ENOENT
    EXPECT_EQ(p_.node_err, -ENOENT);
    EXPECT_EQ(classify("/dev/vg"), DMEMU_HOST);  // a directory of DIR's: its real path serves
}

TEST_F(PreloadClassify, LinkChainsThatLeaveDirOrLoopAreTheHosts) {
    fs::create_directories(dir_ / "dev" / "vg");
    fs::create_symlink("/dev/null", dir_ / "dev" / "vg" / "host");
    fs::create_symlink("/etc/passwd", dir_ / "dev" / "vg" / "file");
    fs::create_symlink("b", dir_ / "dev" / "vg" / "a");
    fs::create_symlink("a", dir_ / "dev" / "vg" / "b");
    fs::create_symlink("../../sys/block/dm-0", dir_ / "dev" / "vg" / "sys");
    for (const char* path : {"/dev/vg/host", "/dev/vg/file", "/dev/vg/a", "/dev/vg/sys",
                             "/dev/vg/none", "/dev/disk/by-id/x"}) {
        EXPECT_EQ(classify(path), DMEMU_HOST) << path;
        EXPECT_EQ(p_.via_link, 0) << path;
    }
}

TEST_F(PreloadClassify, SysOfTheDaemonsMajorsAndDmNamesIsOursEvenWhenAbsent) {
    std::ofstream(dir_ / "proc" / "devices") << "Character devices:\n 10 misc\n\nBlock devices:\n"
                                                "  1 ramdisk\n253 device-mapper\n";
    ASSERT_EQ(classify("/sys/dev/block/253:7/bdi/read_ahead_kb"), DMEMU_FILE);
    EXPECT_EQ(p_.mapped, in_dir("/sys/dev/block/253:7/bdi/read_ahead_kb"));
    EXPECT_EQ(p_.in_sys, 1);
    EXPECT_EQ(classify("/sys/dev/block/1:3"), DMEMU_FILE);
    EXPECT_EQ(classify("/sys/block/dm-9/dm/name"), DMEMU_FILE);
    EXPECT_EQ(classify("/sys/dev/block/10:236"), DMEMU_HOST);  // a char major of the list
    EXPECT_EQ(classify("/sys/dev/block/8:0"), DMEMU_HOST);
    EXPECT_EQ(classify("/sys/block/dm-x"), DMEMU_HOST);
}

TEST_F(PreloadClassify, KeepsErrno) {
    errno = 1234;
    classify("/dev/mapper/gone");
    EXPECT_EQ(errno, 1234);
    classify("/dev/nosuchdisk");
    EXPECT_EQ(errno, 1234);
    classify("/sys/block/nosuch/size");
    EXPECT_EQ(errno, 1234);
}

class PreloadDir : public ::testing::Test {
protected:
    void SetUp() override {
        const char* old = std::getenv("DMEMU_DIR");
        if (old) saved_ = old;
        had_ = old != nullptr;
    }
    void TearDown() override {
        if (had_)
            ::setenv("DMEMU_DIR", saved_.c_str(), 1);
        else
            ::unsetenv("DMEMU_DIR");
        dmemu_dir_reset();
    }
    static const char* dir_for(const char* env) {
        if (env)
            ::setenv("DMEMU_DIR", env, 1);
        else
            ::unsetenv("DMEMU_DIR");
        dmemu_dir_reset();
        return dmemu_dir();
    }
    std::string saved_;
    bool had_ = false;
};

TEST_F(PreloadDir, TrailingSlashesAreDropped) {
    ASSERT_NE(dir_for("/tmp/dm///"), nullptr);
    EXPECT_STREQ(dmemu_dir(), "/tmp/dm");
}

TEST_F(PreloadDir, UnsetEmptyOrRelativeIsInert) {
    EXPECT_EQ(dir_for(nullptr), nullptr);
    EXPECT_EQ(dir_for(""), nullptr);
    testing::internal::CaptureStderr();
    EXPECT_EQ(dir_for("relative/dir"), nullptr);
    EXPECT_EQ(dir_for("/"), nullptr);
    EXPECT_EQ(testing::internal::GetCapturedStderr(),
              "dmemu: DMEMU_DIR 'relative/dir' is not an absolute path other than /: ignored\n"
              "dmemu: DMEMU_DIR '/' is not an absolute path other than /: ignored\n");
}

TEST_F(PreloadDir, InertLibraryClassifiesNothing) {
    dir_for(nullptr);
    dmemu_path p{};
    EXPECT_EQ(dmemu_classify("/dev/mapper/control", &p), DMEMU_HOST);
    EXPECT_EQ(dmemu_classify("/proc/devices", &p), DMEMU_HOST);
}

}  // namespace
