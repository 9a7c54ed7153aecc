// Interrupt checks for C++ code (interrupts.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/interrupts.h"

extern "C" {
#include "miscadmin.h"
}

namespace pulse::pg {

void check_for_interrupts() {
  // PG_TRY's sigsetjmp only when something is pending.
  if (INTERRUPTS_PENDING_CONDITION()) pg_guard([] { CHECK_FOR_INTERRUPTS(); });
}

}  // namespace pulse::pg
