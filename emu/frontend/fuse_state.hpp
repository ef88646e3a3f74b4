// SPDX-License-Identifier: GPL-2.0-only
// The FUSE session's userdata: which inode is which device, the open files, and the requests
// not yet answered.
//
// Inodes: 1 is the root, 2 `mapper`, 3 `disks`; devices get numbers from 16 up, kept for as long
// as the device exists (a rename keeps it), never reused.
//
// Threads: everything here belongs to the loop thread (the DeviceMapper's io_context), where
// the SessionReader runs the handlers; `replies_` and `buffers_` are thread safe because
// unmount() answers pending requests from another thread.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include "emu/frontend/io_buffer.hpp"
#include "emu/frontend/pending_replies.hpp"
#include "emu/frontend/splice_reply.hpp"

namespace dmemu::emu {

class BlockDevice;
class IoWorker;
class DeviceMapper;
class MappedDevice;
struct DeviceEvent;

// fuse_ino_t without the libfuse header.
using FuseIno = std::uint64_t;
inline constexpr FuseIno kRootIno = 1;  // FUSE_ROOT_ID
inline constexpr FuseIno kMapperIno = 2;
inline constexpr FuseIno kDisksIno = 3;
inline constexpr FuseIno kFirstDeviceIno = 16;

struct FuseState : std::enable_shared_from_this<FuseState> {
    // What a device inode names. A mapped device is held weakly: the inode does not keep a
    // removed device alive.
    struct Node {
        bool is_disk = false;
        std::weak_ptr<MappedDevice> md;
        std::string disk_name;
        const BlockDevice* disk = nullptr;
    };
    // An open file, behind the FUSE file handle. Created and destroyed on the loop (the last
    // reference to a removed MappedDevice must drop there).
    struct OpenFile {
        std::shared_ptr<MappedDevice> md;
        BlockDevice* disk = nullptr;
        std::string disk_name;
        BlockDevice& dev() const;
    };

    FuseState(DeviceMapper& dm, boost::asio::io_context& loop);
    // Files whose RELEASE never ran (the kernel sends it asynchronously; the loop may have
    // stopped first) are freed with the state.
    ~FuseState();

    // Loop thread only.
    FuseIno ino_for(const std::shared_ptr<MappedDevice>& md);
    FuseIno ino_for_disk(const std::string& name, const BlockDevice* dev);
    // The device behind `ino`, or -ENOENT when it is gone.
    int resolve(FuseIno ino, std::shared_ptr<MappedDevice>* md, std::string* disk_name,
                BlockDevice** disk);
    int attr_of(FuseIno ino, struct stat* st);
    void fill_dir_attr(FuseIno ino, struct stat* st) const;
    void on_event(const DeviceEvent& ev);
    OpenFile* open_file(std::shared_ptr<MappedDevice> md, BlockDevice* disk, std::string disk_name);
    void close_file(OpenFile* f);

    DeviceMapper& dm_;               // loop only
    boost::asio::io_context& loop_;  // thread safe (post)
    const uid_t uid_;
    const gid_t gid_;
    const std::shared_ptr<PendingReplies> replies_ = std::make_shared<PendingReplies>();
    IoBufferPool buffers_;  // thread safe
    // The buffer the SessionReader reads requests into (loop only). A large write takes it as
    // its data rather than copying; the reader then takes a fresh one.
    IoBuffer receiving_;
    // Reads whose bytes lie in a file are answered by splice (loop only; enabled at INIT when
    // splice_wanted_ and the kernel takes spliced replies).
    bool splice_wanted_ = true;
    // The mount's max_read (SpliceReplies::read_split), repeated at INIT as libfuse requires;
    // 0: none (reads up to max_pages, 1 MiB).
    std::size_t max_read_ = 0;
    SpliceReplies splice_;
    // Where large spliced replies are sent from (FuseOptions::splice_threads); null: on the
    // loop. Joined by unmount() once the reader has stopped.
    std::unique_ptr<IoWorker> splice_threads_;
    std::atomic<std::uint64_t> spliced_reads_{0};   // written on the loop, read anywhere
    std::atomic<std::uint64_t> thread_splices_{0};  // of which sent from splice_threads_
    std::atomic<std::uint64_t> direct_writes_{0};   // written to a file extent (fe_write_direct)

private:
    std::map<FuseIno, Node> nodes_;
    std::map<const void*, FuseIno> ino_of_;
    FuseIno next_ino_ = kFirstDeviceIno;
    std::unordered_set<OpenFile*> open_files_;
};

}  // namespace dmemu::emu
