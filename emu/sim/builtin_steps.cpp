// SPDX-License-Identifier: GPL-2.0-only
// The one list of step families. A new family is one file under steps/ and one line here.
#include "emu/sim/step_registry.hpp"

namespace dmemu::scenario {

void register_builtin_steps(StepRegistry& r) {
    register_dm_steps(r);           // create, load, suspend, resume, clear, remove, ... (dmsetup)
    register_world_steps(r);        // disk, advance, mark
    register_io_steps(r);           // io write|read|verify|background|stop|drain
    register_sync_steps(r);         // wait-sync
    register_log_server_steps(r);   // crash-, restart-, freeze-, thaw-log-server
    register_fault_steps(r);        // fault disk|transport|clear
    register_power_steps(r);        // power-cut
    register_expect_steps(r);       // expect status|table|output|error|kernel-log
    register_expect_data_steps(r);  // expect legs-identical|data-intact|io
    register_expect_log_steps(r);   // expect log-request
}

const StepRegistry& builtin_step_registry() {
    static const StepRegistry registry = [] {
        StepRegistry r;
        register_builtin_steps(r);
        return r;
    }();
    return registry;
}

}  // namespace dmemu::scenario
