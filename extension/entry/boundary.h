// The entry/ side of the C++ / PostgreSQL boundary. Every SQL-callable function
// is written with PULSE_FUNCTION(name) { ... }: the body runs inside a
// catch-all; a caught exception is copied into plain memory (pg::ErrorReport)
// and ereport(ERROR) is raised from a frame that holds no C++ object, so no
// destructor is ever skipped by the longjmp.
#pragma once

#include "pg/fmgr_glue.h"
#include "pg/report.h"

namespace pulse::entry {

using Body = Datum (*)(FunctionCallInfo);

// Runs body; on success stores its result and returns true. On any exception
// fills report and returns false. Never throws, never ereports.
bool run(Body body, FunctionCallInfo fcinfo, Datum* result, pg::ErrorReport* report) noexcept;

// Fills report from the exception being handled. Call only inside a catch block.
void report_current_exception(pg::ErrorReport* report) noexcept;

// The same as run() for a body without arguments or result (_PG_init, a
// background worker's main loop, one step of it).
template <typename Fn>
bool run(Fn&& body, pg::ErrorReport* report) noexcept {
  try {
    body();
    return true;
  } catch (...) {
    report_current_exception(report);
  }
  return false;
}

}  // namespace pulse::entry

// Declares the V1 SQL entry point `name` whose C++ body follows the macro.
#define PULSE_FUNCTION(name)                                                   \
  static Datum name##_body(FunctionCallInfo fcinfo);                           \
  PULSE_EXPORT const Pg_finfo_record* pg_finfo_##name(void);                   \
  const Pg_finfo_record* pg_finfo_##name(void) {                               \
    static const Pg_finfo_record my_finfo = {1};                               \
    return &my_finfo;                                                          \
  }                                                                            \
  PULSE_EXPORT Datum name(PG_FUNCTION_ARGS);                                   \
  Datum name(PG_FUNCTION_ARGS) {                                               \
    Datum result_;                                                             \
    pulse::pg::ErrorReport report_;                                            \
    if (pulse::entry::run(name##_body, fcinfo, &result_, &report_))            \
      return result_;                                                          \
    pulse::pg::raise(report_);                                                 \
  }                                                                            \
  static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo)

// The module's magic block (one per shared library: pulse.so, pulse_test.so).
#define PULSE_MODULE_MAGIC                                                     \
  extern "C" {                                                                 \
  PULSE_EXPORT const Pg_magic_struct* PG_MAGIC_FUNCTION_NAME(void);            \
  PG_MODULE_MAGIC;                                                             \
  }
