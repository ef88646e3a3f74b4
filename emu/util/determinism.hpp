// SPDX-License-Identifier: GPL-2.0-only
// The check that keeps a scenario replayable: while a DeterminismGuard is armed on this thread,
// every read of the real clock (RealClock) and every draw of unseeded randomness
// (entropy_seed) is recorded as a violation. A scenario run arms one and fails when it caught
// anything, so a stray wall-clock read or std::random_device inside a run is a loud bug, not a
// flaky replay. Outside a guard both are allowed (the daemon runs on the real clock).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dmemu::emu {

class DeterminismGuard {
public:
    DeterminismGuard();
    ~DeterminismGuard();
    DeterminismGuard(const DeterminismGuard&) = delete;
    DeterminismGuard& operator=(const DeterminismGuard&) = delete;

    // What was caught while this guard was the innermost one armed, in order.
    const std::vector<std::string>& violations() const { return violations_; }

    // Called by every source of nondeterminism; a no-op when no guard is armed.
    static void report(std::string_view what);

private:
    DeterminismGuard* outer_;
    std::vector<std::string> violations_;
};

// A seed from std::random_device: the one sanctioned door for unseeded randomness (a daemon
// started without --seed). Reported to the armed guard.
std::uint64_t entropy_seed();

}  // namespace dmemu::emu
