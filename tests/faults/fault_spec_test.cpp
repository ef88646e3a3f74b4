// SPDX-License-Identifier: GPL-2.0-only
// The one fault-spec parser: what it accepts, and the exact error for each kind of bad spec.
#include "emu/faults/fault_kinds.hpp"
#include "tests/faults/faulty_disk_fixture.hpp"

namespace dmemu::emu::testing {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(FaultSpec, SplitsKindParametersAndFlags) {
    std::string error;
    const auto spec = tokenize_fault_spec("  eio sectors=100-200\top=write sticky ", &error);
    ASSERT_TRUE(spec) << error;
    EXPECT_EQ(spec->kind, "eio");
    EXPECT_EQ(spec->params, (std::vector<std::pair<std::string, std::string>>{
                                {"sectors", "100-200"}, {"op", "write"}}));
    EXPECT_EQ(spec->flags, std::vector<std::string>{"sticky"});
}

TEST(FaultSpec, EveryKindOfTheIssueParses) {
    for (const char* text :
         {"eio sectors=100-200 op=write sticky", "eio sectors=7 op=read,flush p=0.25",
          "eio op=both", "eio op=any p=1", "latency ms=5", "latency us=250 op=read",
          "latency dist=uniform:1-10ms", "latency dist=uniform:500us-2ms sectors=0-99",
          "latency dist=fixed:3s", "lost-unflushed p=0.5", "lost-unflushed", "torn-write",
          "torn-write p=0.1 sectors=0-1023 op=write", "full at=65536", "full after=2048"}) {
        const ParsedFault parsed = parse_fault(text);
        EXPECT_NE(parsed.fault, nullptr) << text << ": " << parsed.error;
        EXPECT_TRUE(parsed.error.empty()) << text;
    }
}

TEST(FaultSpec, BadSpecsSayWhatWasWrongWithWhichWord) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "fault: empty spec"},
        {"  ", "fault: empty spec"},
        {"flood",
         "fault: unknown kind 'flood' (kinds: eio, latency, torn-write, lost-unflushed, full)"},
        {"eio bogus", "fault: eio: unknown parameter 'bogus'"},
        {"eio when=now", "fault: eio: unknown parameter 'when'"},
        {"eio p=0.5 p=0.6", "fault: eio: parameter 'p' given twice"},
        {"eio sectors=200-100", "fault: eio: bad sector range '200-100' (FIRST-LAST or SECTOR)"},
        {"eio sectors=x", "fault: eio: bad sector range 'x' (FIRST-LAST or SECTOR)"},
        {"eio sectors=1-", "fault: eio: bad sector range '1-' (FIRST-LAST or SECTOR)"},
        {"eio op=sideways",
         "fault: eio: bad op 'sideways' (read, write, flush, discard, both, any)"},
        {"eio op=read,", "fault: eio: bad op 'read,' (read, write, flush, discard, both, any)"},
        {"eio p=1.5", "fault: eio: p '1.5' is not a probability in [0, 1]"},
        {"eio p=-0.1", "fault: eio: p '-0.1' is not a probability in [0, 1]"},
        {"eio p=nan", "fault: eio: p 'nan' is not a probability in [0, 1]"},
        {"eio p=", "fault: eio: p '' is not a probability in [0, 1]"},
        {"latency",
         "fault: latency: needs exactly one of ms=N, us=N or dist=fixed:D|uniform:D1-D2"},
        {"latency ms=5 us=3",
         "fault: latency: needs exactly one of ms=N, us=N or dist=fixed:D|uniform:D1-D2"},
        {"latency ms=x", "fault: latency: bad number ms='x'"},
        {"latency ms=-5", "fault: latency: bad number ms='-5'"},
        {"latency dist=uniform:10-1ms",
         "fault: latency: bad range '10-1ms' (uniform:1-10ms, low <= high)"},
        {"latency dist=uniform:5ms",
         "fault: latency: bad range '5ms' (uniform:1-10ms, low <= high)"},
        {"latency dist=fixed:5xs", "fault: latency: bad duration '5xs'"},
        {"latency dist=normal:5ms",
         "fault: latency: unknown distribution 'normal:5ms' (fixed:D, uniform:D1-D2)"},
        {"torn-write op=read", "fault: torn-write: only writes tear (op=write)"},
        {"lost-unflushed p=2", "fault: lost-unflushed: p '2' is not a probability in [0, 1]"},
        {"lost-unflushed sticky", "fault: lost-unflushed: unknown parameter 'sticky'"},
        {"full", "fault: full: needs exactly one of at=SECTOR or after=SECTORS"},
        {"full at=1 after=2", "fault: full: needs exactly one of at=SECTOR or after=SECTORS"},
        {"full at=1e3", "fault: full: bad number at='1e3'"},
    };
    for (const auto& [text, error] : cases) {
        const ParsedFault parsed = parse_fault(text);
        EXPECT_EQ(parsed.fault, nullptr) << text;
        EXPECT_EQ(parsed.error, error) << text;
    }
}

TEST(FaultSpec, Durations) {
    EXPECT_EQ(parse_fault_duration("250ns"), Duration(250));
    EXPECT_EQ(parse_fault_duration("10us"), microseconds(10));
    EXPECT_EQ(parse_fault_duration("5ms"), milliseconds(5));
    EXPECT_EQ(parse_fault_duration("2s"), std::chrono::seconds(2));
    for (const char* bad : {"5", "ms", "5 ms", "-5ms", "5MS", "1.5ms", "", "99999999999999999999s"})
        EXPECT_FALSE(parse_fault_duration(bad).has_value()) << bad;
}

class FaultSpecOnDisk : public FaultyDiskFixture {};

TEST_F(FaultSpecOnDisk, ABadSpecInstallsNothing) {
    std::string error;
    EXPECT_FALSE(disk_->add_fault("eio sectors=9-1", &error).has_value());
    EXPECT_EQ(error, "fault: eio: bad sector range '9-1' (FIRST-LAST or SECTOR)");
    EXPECT_TRUE(disk_->faults().empty());
    EXPECT_EQ(io(BioOp::read, 5, 1), 0);
}

TEST_F(FaultSpecOnDisk, ListsInstalledFaultsWithTheirSpecAndCount) {
    const FaultId a = add("eio sectors=0-7 op=read");
    const FaultId b = add("latency ms=1");
    EXPECT_EQ(io(BioOp::read, 0, 1), -EIO);
    const auto faults = disk_->faults();
    ASSERT_EQ(faults.size(), 2u);
    EXPECT_EQ(faults[0].id, a);
    EXPECT_EQ(faults[0].kind, "eio");
    EXPECT_EQ(faults[0].spec, "eio sectors=0-7 op=read");
    EXPECT_EQ(faults[0].fired, 1u);
    EXPECT_EQ(faults[1].id, b);
    EXPECT_EQ(faults[1].fired, 0u);  // the failed read never got as far as the delay
    EXPECT_TRUE(disk_->remove_fault(a));
    EXPECT_FALSE(disk_->remove_fault(a));
    EXPECT_EQ(io(BioOp::read, 0, 1), 0);
    disk_->clear_faults();
    EXPECT_TRUE(disk_->faults().empty());
}

}  // namespace
}  // namespace dmemu::emu::testing
