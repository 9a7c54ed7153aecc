// numerics, now() and one-row results for the C++ projections (projection.h).
#include <string>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/projection.h"

// funcapi.h pulls in the executor's headers, whose spinlock code uses the
// `register` keyword that C++17 dropped.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "access/htup_details.h"
#include "access/xact.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {

int numeric_cmp(Datum a, Datum b) {
  return pg_guard([&] { return DatumGetInt32(DirectFunctionCall2(::numeric_cmp, a, b)); });
}

bool numeric_negative(Datum a) {
  // A zero made once for the backend's life.
  static Datum zero = 0;
  if (zero == 0) {
    zero = pg_guard([&] {
      MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
      Datum z = NumericGetDatum(int64_to_numeric(0));
      MemoryContextSwitchTo(old);
      return z;
    });
  }
  return numeric_cmp(a, zero) < 0;
}

std::string numeric_text(Datum a) {
  char* s = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(numeric_out, a)); });
  std::string out(s);
  pfree(s);
  return out;
}

Datum numeric_from_text(std::string_view s) {
  std::string z(s);  // NUL-terminated
  const char* p = z.c_str();
  return pg_guard([&] {
    return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
  });
}

Datum interval_datum(int64_t micros) {
  auto* iv = static_cast<Interval*>(pg_guard([&] { return palloc(sizeof(Interval)); }));
  iv->time = micros;
  iv->day = 0;
  iv->month = 0;
  return IntervalPGetDatum(iv);
}

int64_t transaction_start_unix_micros() noexcept {
  constexpr int64 kUnixToPostgresMicros =
      static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC;
  return GetCurrentTransactionStartTimestamp() + kUnixToPostgresMicros;
}

Datum one_row(FunctionCallInfo fcinfo, std::initializer_list<Cell> row) {
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  if (rsinfo == nullptr || !IsA(rsinfo, ReturnSetInfo) || (rsinfo->allowedModes & SFRM_ValuePerCall) == 0)
    throw Error("0A000", "set-valued function called in context that cannot accept a set");
  auto* desc = static_cast<TupleDesc>(fcinfo->flinfo->fn_extra);
  if (desc == nullptr) {
    desc = static_cast<TupleDesc>(pg_guard([&]() -> void* {
      TupleDesc td;
      if (get_call_result_type(fcinfo, nullptr, &td) != TYPEFUNC_COMPOSITE) return nullptr;
      MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
      TupleDesc kept = BlessTupleDesc(CreateTupleDescCopy(td));
      MemoryContextSwitchTo(old);
      return kept;
    }));
    if (desc == nullptr) throw Error(sqlstate::kDatatypeMismatch, "function returning a row called in a context that cannot accept one");
    fcinfo->flinfo->fn_extra = desc;
  }
  if (static_cast<int>(row.size()) != desc->natts)
    throw Error(sqlstate::kInternalError, "result row has the wrong number of columns");
  Datum values[16];
  bool nulls[16];
  if (row.size() > 16) throw Error(sqlstate::kInternalError, "result row has too many columns");
  int i = 0;
  for (const Cell& c : row) {
    values[i] = c.value;
    nulls[i++] = c.isnull;
  }
  HeapTuple tuple = static_cast<HeapTuple>(pg_guard([&] { return static_cast<void*>(heap_form_tuple(desc, values, nulls)); }));
  rsinfo->returnMode = SFRM_ValuePerCall;
  rsinfo->isDone = ExprSingleResult;
  return HeapTupleGetDatum(tuple);
}

}  // namespace pulse::pg
