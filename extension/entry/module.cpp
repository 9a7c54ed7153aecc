// Module entry: the magic block and _PG_init. _PG_init must not let an
// exception escape, so everything it does goes through noexcept helpers.
extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

#include "entry/analytics.h"
#include "entry/boundary.h"
#include "pg/maintenance_worker.h"

// PostgreSQL 15's PGDLLEXPORT is empty on Linux; we build with hidden
// visibility, so declare the magic function exported before defining it.
extern "C" {
PULSE_EXPORT const Pg_magic_struct* PG_MAGIC_FUNCTION_NAME(void);
PG_MODULE_MAGIC;
PULSE_EXPORT void _PG_init(void);
}

void _PG_init(void) {
  pulse::entry::define_analytics_gucs();
  pulse::maintenance::init();
}
