// The maintenance background worker: a launcher started by the postmaster
// (when pulse is in shared_preload_libraries) that, every
// pulse.maintenance_interval, starts one short-lived worker per selected
// database, which runs pulse.run_maintenance() table by table.
#pragma once

namespace pulse::entry {

// Defines the pulse.maintenance_* settings and, while shared libraries are
// being preloaded, registers the launcher. Called from _PG_init.
void init_maintenance_worker();

}  // namespace pulse::entry
