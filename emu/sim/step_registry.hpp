// SPDX-License-Identifier: GPL-2.0-only
// Step kinds by name, filled from one explicit list (builtin_steps.cpp: one line per family),
// as the kernel lists its targets in dm.c. A family file exports register_<family>_steps().
#pragma once

#include <map>
#include <vector>

#include "emu/sim/step.hpp"

namespace dmemu::scenario {

class StepRegistry {
public:
    void add(const StepKind& kind);
    // The kind the words name: "expect status" (two words) before "expect" (one). *used is set
    // to the number of words the name took.
    const StepKind* find(const std::vector<std::string>& words, std::size_t from,
                         std::size_t* used) const;
    // A step from a line's words [from, end); throws ParseError.
    std::unique_ptr<Step> make(const LogicalLine& line, std::size_t from) const;
    std::vector<const StepKind*> kinds() const;

private:
    std::map<std::string, StepKind, std::less<>> kinds_;
};

// The families (each in steps/<family>.cpp).
void register_dm_steps(StepRegistry& r);
void register_world_steps(StepRegistry& r);
void register_io_steps(StepRegistry& r);
void register_sync_steps(StepRegistry& r);
void register_log_server_steps(StepRegistry& r);
void register_fault_steps(StepRegistry& r);
void register_power_steps(StepRegistry& r);
void register_expect_steps(StepRegistry& r);
void register_expect_data_steps(StepRegistry& r);
void register_expect_log_steps(StepRegistry& r);

// Every family above: the one list.
void register_builtin_steps(StepRegistry& r);
const StepRegistry& builtin_step_registry();

}  // namespace dmemu::scenario
