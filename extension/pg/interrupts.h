// Honouring a cancelled query or a terminated backend from C++ code.
#pragma once

namespace pulse::pg {

// CHECK_FOR_INTERRUPTS(): a pending cancel (statement_timeout, pg_cancel_backend,
// Ctrl-C) throws PgError with its SQLSTATE (57014) instead of longjmp'ing over
// C++ frames; a pending termination ends the process (FATAL), as anywhere in
// PostgreSQL. Costs one load and a branch when nothing is pending.
void check_for_interrupts();

}  // namespace pulse::pg
