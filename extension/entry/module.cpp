// Module entry: the magic block and _PG_init. _PG_init must not let an
// exception escape: its body runs in the boundary's catch-all and a failure
// is raised as an ERROR from a frame without C++ objects.
#include "core/interrupts.h"
#include "entry/analytics.h"
#include "entry/boundary.h"
#include "entry/maintenance_worker.h"
#include "entry/utility_hook.h"
#include "pg/interrupts.h"

PULSE_MODULE_MAGIC

PULSE_EXPORT void _PG_init(void);

namespace {

void init() {
  pulse::set_interrupt_hook(pulse::pg::check_for_interrupts);
  pulse::entry::define_analytics_gucs();
  pulse::entry::init_maintenance_worker();
  pulse::entry::install_utility_hook();
}

}  // namespace

void _PG_init(void) {
  pulse::pg::ErrorReport report;
  if (!pulse::entry::run(init, &report)) pulse::pg::raise(report);
}
