// Test-only entry points that prove both directions of the C++ / PostgreSQL
// error boundary. They live in their own module, pulse_test.so (with the
// boundary code they exercise), exposed by the `pulse_test` extension that
// the test command installs and user installs never do; pulse.so has none.
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "entry/boundary.h"
#include "pg/guard.h"
#include "pg/memory.h"
#include "pg/text.h"

PULSE_MODULE_MAGIC

namespace {

// Counts destructor runs so SQL can see that none was skipped.
int64_t g_destructors_run = 0;

struct CountsDestruction {
  ~CountsDestruction() { ++g_destructors_run; }
};

void bad_int4_input() {
  // int4in raises 22P02 through ereport: the PostgreSQL -> C++ direction.
  pulse::pg::int4_from_cstring("not a number");
}

}  // namespace

// pulse_test_raise(kind text): raises an error of the given kind from C++.
PULSE_FUNCTION(pulse_test_raise) {
  CountsDestruction guard_object;
  if (PG_ARGISNULL(0)) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "kind must not be NULL");
  std::string kind(pulse::pg::text_view(PG_GETARG_DATUM(0)));
  std::string big(64, 'x');  // a live heap object: its destructor must run too
  if (kind == "pulse") {
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "pulse error raised from C++",
                       "detail from C++", "hint from C++");
  } else if (kind == "bad_alloc") {
    throw std::bad_alloc();
  } else if (kind == "std") {
    throw std::runtime_error("a std::runtime_error from C++");
  } else if (kind == "unknown") {
    throw 42;
  } else if (kind == "pg") {
    bad_int4_input();  // PgError propagates and is re-raised with 22P02
  } else if (kind == "none") {
    return pulse::pg::text_datum("no error");
  }
  throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "unknown kind \"" + kind + "\"");
}

// pulse_test_catch_pg(): catches a PostgreSQL error in C++ and reports it as
// data, proving the guard restores the memory context and runs destructors.
PULSE_FUNCTION(pulse_test_catch_pg) {
  const void* before = pulse::pg::current_memory_context();
  int64_t destructors_before = g_destructors_run;
  std::string report;
  try {
    CountsDestruction inner;
    bad_int4_input();
    report = "no error";
  } catch (const pulse::pg::PgError& e) {
    report = std::string("caught ") + e.sqlstate() + ": " + e.what();
  }
  report += "; destructors run: " + std::to_string(g_destructors_run - destructors_before);
  report += pulse::pg::current_memory_context() == before ? "; memory context restored" : "; memory context WRONG";
  return pulse::pg::text_datum(report);
}

// pulse_test_destructor_count(): how many guarded objects were destroyed.
PULSE_FUNCTION(pulse_test_destructor_count) { PG_RETURN_INT64(g_destructors_run); }
