// The entry/ side of the C++ / PostgreSQL boundary. Every SQL-callable function
// is written with PULSE_FUNCTION(name) { ... }: the body runs inside a
// catch-all; a caught exception is copied into plain memory (ErrorSlot) and
// ereport(ERROR) is raised from a frame that holds no C++ object, so no
// destructor is ever skipped by the longjmp.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
}

namespace pulse::entry {

// Plain old data: safe to keep in the frame that longjmps.
struct ErrorSlot {
  int sqlerrcode;
  char message[2048];
  char detail[2048];
  char hint[1024];
  char context[1024];
};

using Body = Datum (*)(FunctionCallInfo);

// Runs body; on success stores its result and returns true. On any exception
// fills slot and returns false. Never throws, never ereports.
bool run(Body body, FunctionCallInfo fcinfo, Datum* result, ErrorSlot* slot) noexcept;

// Raises slot as a PostgreSQL ERROR. Call only from a frame without C++ objects.
[[noreturn]] void raise(const ErrorSlot* slot);

}  // namespace pulse::entry

#define PULSE_EXPORT extern "C" __attribute__((visibility("default")))

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
    pulse::entry::ErrorSlot slot_;                                             \
    if (pulse::entry::run(name##_body, fcinfo, &result_, &slot_))              \
      return result_;                                                          \
    pulse::entry::raise(&slot_);                                               \
  }                                                                            \
  static Datum name##_body([[maybe_unused]] FunctionCallInfo fcinfo)
