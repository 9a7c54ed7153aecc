// Long loops in core/ stop when the query is cancelled (statement_timeout,
// pg_cancel_backend, Ctrl-C). core cannot call PostgreSQL, so the extension
// installs a hook when it is loaded (entry/module.cpp installs
// pg::check_for_interrupts); the hook may throw (a cancel arrives as a C++
// exception carrying SQLSTATE 57014) and the loops unwind like any C++.
// Without a hook (unit tests) a check does nothing.
#pragma once

#include "core/no_postgres.h"

#include <cstdint>

namespace pulse {

using InterruptHook = void (*)();

// Installs the hook (nullptr removes it). Not thread-safe: call at load time.
void set_interrupt_hook(InterruptHook hook) noexcept;

// Calls the hook, if any. May throw whatever the hook throws.
void check_interrupts();

// Steps of a tight loop between two checks (under a millisecond of
// lagged_corr's work), so a check costs nothing measurable.
inline constexpr int64_t kInterruptCheckInterval = int64_t{1} << 14;

}  // namespace pulse
