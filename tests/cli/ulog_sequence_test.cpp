// SPDX-License-Identifier: GPL-2.0-only
// The userspace log's request stream through real mirror tables: each oracle case in
// ../shared/oracle/ulog is replayed command by command (its "### $ dmsetup ..." and dd lines)
// through the dmsetup layer against an in-process emulator, with a log server that answers as
// the oracle's recorder did (everything clean and in sync, no resync work: see that README).
// The (request type, which log) sequence the server sees must equal the kernel's, which pins
// the mirror's and the core's hook order (ctr, kmirrord's first requests, presuspend,
// postsuspend, resume before the old DTR, ...), not only the log's.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "emu/io/submit_wait.hpp"
#include "tests/cli/emulator.hpp"
#include "tests/ulog/oracle_seq.hpp"
#include "transfer/carriers/in_process.hpp"
#include "transfer/kernel_endpoint.hpp"
#include "transfer/ulog_payloads.hpp"
#include "transfer/ulog_server_endpoint.hpp"

namespace dmemu::cli_test {
namespace {

namespace tr = dmemu::transfer;

// The in-tree copies of ../shared/oracle/ulog/*.seq (a clean clone has no ../shared).
const std::string kOracleUlogDir = DMEMU_ULOG_ORACLE_DIR;

// The oracle's ulog-recorder: every request succeeds; region size from the CTR string, every
// region in sync, no resync work, status "1 clustered-core". Records "TYPE Ln" per request,
// logs numbered by first appearance of their luid, as the .seq files do.
class RecorderServer {
public:
    explicit RecorderServer(tr::Carrier& carrier)
        : endpoint_(carrier, [this](const tr::UlogMessage& m) { on_request(m); }) {}

    const std::vector<std::string>& seen() const { return seen_; }

private:
    void on_request(const tr::UlogMessage& m) {
        const auto& h = *m.req;
        auto [it, fresh] = names_.try_emplace(h.luid, static_cast<int>(names_.size()) + 1);
        seen_.push_back(std::string(tr::short_name(h.type)) + " L" + std::to_string(it->second));
        tr::Bytes reply;
        switch (h.type) {
            case tr::UlogRequestType::ctr: {
                // "<dev_size> clustered-core <region_size> ..."
                std::istringstream words(std::string(
                    m.payload.size() ? reinterpret_cast<const char*>(m.payload.data()) : "",
                    m.payload.size()));
                std::string len, type;
                words >> len >> type >> region_size_[h.luid];
                dev_size_[h.luid] = std::stoull(len);
                break;
            }
            case tr::UlogRequestType::get_region_size:
                reply = tr::encode_payload(tr::RegionSize{region_size_[h.luid]});
                break;
            case tr::UlogRequestType::get_sync_count:
                reply = tr::encode_payload(tr::SyncCount{
                    (dev_size_[h.luid] + region_size_[h.luid] - 1) / region_size_[h.luid]});
                break;
            case tr::UlogRequestType::in_sync:
            case tr::UlogRequestType::is_clean:
                reply = tr::encode_payload(tr::S64Reply{1});
                break;
            case tr::UlogRequestType::get_resync_work:
                reply = tr::encode_payload(tr::ResyncWork{0, 0});
                break;
            case tr::UlogRequestType::status_info:
                reply = tr::encode_payload(tr::StatusText{"1 clustered-core", true});
                break;
            default:
                break;
        }
        endpoint_.reply(m, 0, reply);
    }

    tr::UlogServerEndpoint endpoint_;
    std::map<std::uint64_t, int> names_;
    std::map<std::uint64_t, std::uint64_t> region_size_, dev_size_;
    std::vector<std::string> seen_;
};

oracle::OracleSeq read_case(const std::string& name) {
    std::ifstream in(kOracleUlogDir + "/" + name + ".seq");
    EXPECT_TRUE(in.good()) << kOracleUlogDir << "/" << name << ".seq";
    return oracle::parse_oracle_seq(in);
}

// The oracle's README: the GET_RESYNC_WORK that kmirrord sends after a RESUME comes from a
// background thread and did not arrive on every boot (it is skipped when a GET_SYNC_COUNT still
// in flight sets in_sync_hint after RESUME cleared it). Both sides are compared without it.
std::vector<std::string> without_resync_work_after_resume(const std::vector<std::string>& seq) {
    std::vector<std::string> out;
    std::map<std::string, std::string> last;  // log -> its previous request type
    for (const auto& entry : seq) {
        const auto space = entry.find(' ');
        const std::string type = entry.substr(0, space), log = entry.substr(space + 1);
        const bool optional = type == "GET_RESYNC_WORK" && last[log] == "RESUME";
        last[log] = type;
        if (!optional) out.push_back(entry);
    }
    return out;
}

// A shell-like split: words, with '...' quoting (the .seq commands use only single quotes).
std::vector<std::string> split_command(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false, have = false;
    for (char ch : text) {
        if (ch == '\'') {
            quoted = !quoted;
            have = true;
        } else if (ch == ' ' && !quoted) {
            if (have) out.push_back(cur);
            cur.clear();
            have = false;
        } else {
            cur.push_back(ch);
            have = true;
        }
    }
    if (have) out.push_back(cur);
    return out;
}

class UlogSequence : public ::testing::Test {
protected:
    UlogSequence() : endpoint_(emu_.clock(), emu_.kernel_log(), link_.kernel_side()) {
        emu_.dm().set_ulog_endpoint(&endpoint_);
        emu_.add_ram_disks(4, 131072);
    }

    // dd of one 4 KiB block as the guest ran it: a buffered write with conv=fsync reaches the
    // device as the write then a flush; a read is one read.
    void dd(const std::vector<std::string>& args) {
        std::map<std::string, std::string> kv;
        for (const auto& a : args)
            if (auto eq = a.find('='); eq != std::string::npos)
                kv[a.substr(0, eq)] = a.substr(eq + 1);
        const bool write = kv["of"].rfind("/dev/mapper/", 0) == 0;
        const std::string dev = (write ? kv["of"] : kv["if"]).substr(12);
        ASSERT_EQ(kv["bs"], "4096");
        const emu::Sector sector = std::stoull(write ? kv["seek"] : kv["skip"]) * 8;
        auto md = emu_.dm().find_mapped(dev);
        ASSERT_TRUE(md) << dev;
        std::vector<std::byte> block(4096);
        std::vector<emu::Bio> bios;
        emu::Bio io;
        io.op = write ? emu::BioOp::write : emu::BioOp::read;
        io.sector = sector;
        io.sectors = 8;
        io.data = block.data();
        bios.push_back(std::move(io));
        if (write) {
            emu::Bio flush;
            flush.op = emu::BioOp::flush;
            bios.push_back(std::move(flush));
        }
        for (auto& bio : bios) {
            std::optional<int> rc;
            boost::asio::co_spawn(
                emu_.context(),
                [&]() -> boost::asio::awaitable<void> {
                    rc = co_await emu::submit_and_wait(*md, std::move(bio));
                },
                boost::asio::detached);
            for (int i = 0; i < 1000 && !rc; ++i)
                emu_.clock().advance(std::chrono::milliseconds(10));
            ASSERT_EQ(rc, 0) << "dd on " << dev;
        }
    }

    // Runs every command of the case; returns the server's view.
    std::vector<std::string> replay(const oracle::OracleSeq& c) {
        for (const auto& command : c.commands) {
            auto argv = split_command(command);
            if (argv.empty() || argv[0] == "sync") continue;  // nothing dirty in a page cache here
            if (argv[0] == "dd") {
                dd(argv);
                continue;
            }
            EXPECT_EQ(argv[0], "dmsetup") << command;
            argv.erase(argv.begin());
            const auto r = emu_.dmsetup(argv);
            EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.err;
        }
        // Let background work (kmirrord's periodic wake-ups) settle, as between guest commands.
        emu_.clock().advance(std::chrono::seconds(5));
        return server_.seen();
    }

    // Every case ends with its devices removed, so no table outlives the endpoint.
    Emulator emu_;
    tr::InProcessLink link_{emu_.context()};
    RecorderServer server_{link_.server_side()};
    tr::KernelEndpoint endpoint_;
};

TEST_F(UlogSequence, CreateStatusWritesReadRemove) {
    const auto c = read_case("a-create-core");
    EXPECT_EQ(without_resync_work_after_resume(replay(c)),
              without_resync_work_after_resume(c.requests));
}

TEST_F(UlogSequence, SwapToSameUuidThenOtherUuidThenOneStepResume) {
    const auto c = read_case("b-swap-same-uuid");
    EXPECT_EQ(without_resync_work_after_resume(replay(c)),
              without_resync_work_after_resume(c.requests));
}

TEST_F(UlogSequence, LoadClearLoadOverInactiveRemoveWithInactive) {
    const auto c = read_case("c-load-clear");
    EXPECT_EQ(without_resync_work_after_resume(replay(c)),
              without_resync_work_after_resume(c.requests));
}

TEST_F(UlogSequence, SuspendResumeVariantsAndNotableCreate) {
    const auto c = read_case("d-suspend-resume-remove");
    EXPECT_EQ(without_resync_work_after_resume(replay(c)),
              without_resync_work_after_resume(c.requests));
}

}  // namespace
}  // namespace dmemu::cli_test
