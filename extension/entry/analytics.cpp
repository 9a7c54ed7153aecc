// SQL entry points of SPEC "Analytics" that need C++: the support functions of
// the pulse.moving_corr aggregate (plain, parallel and moving-aggregate modes),
// pulse.lagged_corr and the window function pulse.session_start. The
// arithmetic lives in core/; this file only moves values across the boundary.
// funcapi.h pulls in the executor's headers, whose spinlock code uses the
// `register` keyword that C++17 dropped.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"
#include "windowapi.h"
}
#pragma GCC diagnostic pop

#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/lagged_corr.h"
#include "core/moving_corr.h"
#include "core/session.h"
#include "entry/analytics.h"
#include "entry/boundary.h"
#include "pg/guard.h"

namespace {

using pulse::CorrState;

// For tests: the inverse transition refuses, so window frames are recomputed
// from scratch (PostgreSQL's restart path) and both paths can be compared.
bool g_force_restart = false;

// The aggregate's memory context; aggregate support functions outside an
// aggregate call are a misuse.
MemoryContext agg_context(FunctionCallInfo fcinfo) {
  MemoryContext ctx = nullptr;
  if (!AggCheckCallContext(fcinfo, &ctx))
    throw pulse::Error(pulse::sqlstate::kFeatureNotSupported,
                       "moving_corr support function called in non-aggregate context");
  return ctx;
}

// The state is plain old data (see core/moving_corr.h): palloc'd in the
// aggregate context and freed with it, no destructor to run.
CorrState* new_state(MemoryContext ctx) {
  void* mem = pulse::pg::pg_guard([&] { return MemoryContextAlloc(ctx, sizeof(CorrState)); });
  auto* s = static_cast<CorrState*>(mem);
  pulse::corr_init(s);
  return s;
}

CorrState* state_arg(FunctionCallInfo fcinfo, int argno) {
  return reinterpret_cast<CorrState*>(PG_GETARG_POINTER(argno));
}

}  // namespace

void pulse::entry::define_analytics_gucs() noexcept {
  DefineCustomBoolVariable(
      "pulse.moving_corr_force_restart",
      "For tests: makes pulse.moving_corr's inverse transition refuse, so window frames are recomputed.",
      "Only useful to compare the inverse-transition path with the restart path.", &g_force_restart,
      false, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

// moving_corr_trans(internal, float8, float8): forward transition, both modes.
PULSE_FUNCTION(pulse_moving_corr_trans) {
  MemoryContext ctx = agg_context(fcinfo);
  CorrState* s = PG_ARGISNULL(0) ? new_state(ctx) : state_arg(fcinfo, 0);
  if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
    pulse::corr_add(s, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
  PG_RETURN_POINTER(s);
}

// moving_corr_inv(internal, float8, float8): exact inverse transition. NULL
// tells the window executor to restart the frame (only when forced).
PULSE_FUNCTION(pulse_moving_corr_inv) {
  agg_context(fcinfo);
  if (PG_ARGISNULL(0) || g_force_restart) PG_RETURN_NULL();
  CorrState* s = state_arg(fcinfo, 0);
  if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
    pulse::corr_remove(s, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
  PG_RETURN_POINTER(s);
}

// moving_corr_final(internal): corr() semantics on the exact sums. It may
// normalize the state's digits in place, which keeps its value unchanged.
PULSE_FUNCTION(pulse_moving_corr_final) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  pulse::CorrResult r = pulse::corr_result(state_arg(fcinfo, 0));
  if (r.is_null) PG_RETURN_NULL();
  PG_RETURN_FLOAT8(r.value);
}

// moving_corr_combine(internal, internal): merges partial states (parallel).
PULSE_FUNCTION(pulse_moving_corr_combine) {
  MemoryContext ctx = agg_context(fcinfo);
  if (PG_ARGISNULL(1)) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    PG_RETURN_POINTER(state_arg(fcinfo, 0));
  }
  const CorrState* other = state_arg(fcinfo, 1);
  if (PG_ARGISNULL(0)) {
    CorrState* s = new_state(ctx);
    std::memcpy(s, other, sizeof *s);
    PG_RETURN_POINTER(s);
  }
  CorrState* s = state_arg(fcinfo, 0);
  pulse::corr_combine(s, other);
  PG_RETURN_POINTER(s);
}

// moving_corr_serialize(internal) -> bytea: the struct's bytes.
PULSE_FUNCTION(pulse_moving_corr_serialize) {
  agg_context(fcinfo);
  CorrState* s = state_arg(fcinfo, 0);
  pulse::corr_normalize(s);
  void* mem = pulse::pg::pg_guard([] { return palloc(VARHDRSZ + sizeof(CorrState)); });
  auto* out = static_cast<bytea*>(mem);
  SET_VARSIZE(out, VARHDRSZ + sizeof(CorrState));
  std::memcpy(VARDATA(out), s, sizeof(CorrState));
  PG_RETURN_BYTEA_P(out);
}

// moving_corr_deserialize(bytea, internal) -> internal.
PULSE_FUNCTION(pulse_moving_corr_deserialize) {
  MemoryContext ctx = agg_context(fcinfo);
  Datum arg = PG_GETARG_DATUM(0);
  void* raw = pulse::pg::pg_guard([&] { return static_cast<void*>(PG_DETOAST_DATUM(arg)); });
  auto* in = static_cast<bytea*>(raw);
  if (VARSIZE_ANY_EXHDR(in) != sizeof(CorrState))
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "invalid moving_corr state");
  CorrState* s = new_state(ctx);
  std::memcpy(s, VARDATA_ANY(in), sizeof(CorrState));
  PG_RETURN_POINTER(s);
}

namespace {

// A one-dimensional float8[] as values + NULL flags.
void read_float8_array(FunctionCallInfo fcinfo, int argno, const char* name, std::vector<double>* values,
                       std::vector<bool>* nulls) {
  if (PG_ARGISNULL(argno))
    throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, std::string(name) + " must not be NULL");
  Datum d = PG_GETARG_DATUM(argno);
  ArrayType* arr = static_cast<ArrayType*>(pulse::pg::pg_guard([&] { return static_cast<void*>(DatumGetArrayTypeP(d)); }));
  if (ARR_NDIM(arr) > 1)
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, std::string(name) + " must be a one-dimensional array");
  if (ARR_ELEMTYPE(arr) != FLOAT8OID)
    throw pulse::Error(pulse::sqlstate::kDatatypeMismatch, std::string(name) + " must be a float8 array");
  Datum* elems = nullptr;
  bool* isnull = nullptr;
  int n = 0;
  pulse::pg::pg_guard([&] {
    deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &isnull, &n);
  });
  values->resize(static_cast<size_t>(n));
  nulls->assign(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    (*nulls)[i] = isnull[i];
    (*values)[i] = isnull[i] ? 0.0 : DatumGetFloat8(elems[i]);
  }
}

}  // namespace

// lagged_corr(x float8[], y float8[], max_lag int) RETURNS TABLE(lag, n, corr)
PULSE_FUNCTION(pulse_lagged_corr) {
  std::vector<double> x, y;
  std::vector<bool> xn, yn;
  read_float8_array(fcinfo, 0, "x", &x, &xn);
  read_float8_array(fcinfo, 1, "y", &y, &yn);
  if (PG_ARGISNULL(2))
    throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "max_lag must not be NULL");
  std::vector<pulse::LagCorr> rows = pulse::lagged_corr(x, xn, y, yn, PG_GETARG_INT32(2));
  pulse::pg::pg_guard([&] { InitMaterializedSRF(fcinfo, 0); });
  ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
  for (const pulse::LagCorr& r : rows) {
    Datum values[3] = {Int32GetDatum(r.lag), Int32GetDatum(static_cast<int32>(r.n)),
                       Float8GetDatum(r.corr.value)};
    bool nulls[3] = {false, false, r.corr.is_null};
    pulse::pg::pg_guard([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls); });
  }
  return static_cast<Datum>(0);
}

namespace {

// Partition-local state of session_start (zeroed by PostgreSQL per partition).
struct SessionState {
  pulse::SessionTracker tracker;
  int64 next_pos;
};
static_assert(std::is_trivially_copyable_v<SessionState>);

}  // namespace

// session_start(ts timestamptz, gap interval) OVER (PARTITION BY .. ORDER BY ts):
// O(1) per row, carrying the running session in partition-local memory.
PULSE_FUNCTION(pulse_session_start) {
  WindowObject winobj = PG_WINDOW_OBJECT();
  void* mem = pulse::pg::pg_guard([&] { return WinGetPartitionLocalMemory(winobj, sizeof(SessionState)); });
  auto* st = static_cast<SessionState*>(mem);
  int64 pos = pulse::pg::pg_guard([&] { return WinGetCurrentPosition(winobj); });
  if (pos != st->next_pos)
    throw pulse::Error(pulse::sqlstate::kInternalError, "session_start: rows arrived out of order");
  st->next_pos = pos + 1;
  // Only the current row is ever read: let the executor drop earlier rows.
  pulse::pg::pg_guard([&] { WinSetMarkPosition(winobj, pos); });
  bool gap_null = false, ts_null = false;
  Datum gap_d = pulse::pg::pg_guard([&] { return WinGetFuncArgCurrent(winobj, 1, &gap_null); });
  if (gap_null) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "gap must not be NULL");
  const Interval* gap = DatumGetIntervalP(gap_d);
  if (gap->month != 0)
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "gap must not contain months or years",
                       std::string(), "Use days, hours, minutes or seconds.");
  int64 gap_us = 0;
  if (__builtin_mul_overflow(static_cast<int64>(gap->day), USECS_PER_DAY, &gap_us) ||
      __builtin_add_overflow(gap_us, gap->time, &gap_us))
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "gap is out of range");
  if (gap_us <= 0) throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "gap must be positive");
  Datum ts_d = pulse::pg::pg_guard([&] { return WinGetFuncArgCurrent(winobj, 0, &ts_null); });
  if (ts_null) PG_RETURN_NULL();  // a NULL time belongs to no session
  int64 start = st->tracker.next(DatumGetTimestampTz(ts_d), gap_us);
  PG_RETURN_TIMESTAMPTZ(start);
}
