// SQL entry points of SPEC "Analytics" that need C++: the support functions of
// the pulse.moving_corr aggregate (plain, parallel and moving-aggregate modes),
// pulse.moving_corr_series, pulse.lagged_corr and the window function
// pulse.session_start. The
// arithmetic lives in core/; this file only moves values across the boundary.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "core/corr_agg.h"
#include "core/corr_series.h"
#include "core/lagged_corr.h"
#include "core/moving_corr.h"
#include "core/session.h"
#include "entry/analytics.h"
#include "entry/boundary.h"
#include "pg/arrays.h"
#include "pg/guc.h"
#include "pg/memory.h"
#include "pg/srf.h"
#include "pg/text.h"
#include "pg/window.h"

namespace {

using pulse::CorrState;

// For tests: the inverse transition refuses, so window frames are recomputed
// from scratch (PostgreSQL's restart path) and both paths can be compared.
bool g_force_restart = false;
// For tests and benchmarks: plain aggregation starts with the wide state, as
// 0.1.0 did, instead of the compact one.
bool g_force_wide = false;

MemoryContext agg_context(FunctionCallInfo fcinfo) {
  return pulse::pg::aggregate_context(fcinfo, "moving_corr support function");
}

CorrState* new_wide(MemoryContext ctx) {
  auto* s = static_cast<CorrState*>(pulse::pg::alloc_in(ctx, sizeof(CorrState)));
  pulse::corr_init(s);
  return s;
}

CorrState* wide_arg(FunctionCallInfo fcinfo, int argno) {
  void* p = PG_GETARG_POINTER(argno);
  if (pulse::corr_agg_kind(p) != pulse::kCorrWide)
    throw pulse::Error(pulse::sqlstate::kInternalError, "moving_corr: unexpected state in moving-aggregate mode");
  return static_cast<CorrState*>(p);
}

// The states are plain old data palloc'd in the aggregate context and freed
// with it: no destructor to run.
pulse::CorrArena arena_of(MemoryContext ctx) {
  return {[](void* arena, std::size_t size) { return pulse::pg::alloc_in(static_cast<MemoryContext>(arena), size); },
          [](void* chunk) { pulse::pg::free_chunk(chunk); }, ctx};
}

}  // namespace

void pulse::entry::define_analytics_gucs() {
  pg::define_bool_guc(
      "pulse.moving_corr_force_restart",
      "For tests: makes pulse.moving_corr's inverse transition refuse, so window frames are recomputed.",
      "Only useful to compare the inverse-transition path with the restart path.", &g_force_restart, false,
      pg::GucScope::kUser);
  pg::define_bool_guc(
      "pulse.moving_corr_force_wide",
      "For tests and benchmarks: pulse.moving_corr's plain aggregation starts with the wide exact state.",
      "Only useful to compare the compact states with the wide one (the answers are the same).", &g_force_wide,
      false, pg::GucScope::kUser);
}

// moving_corr_trans(internal, float8, float8): forward transition of the
// moving-aggregate mode (window frames whose start moves): the wide state,
// which rows can also leave.
PULSE_FUNCTION(pulse_moving_corr_trans) {
  MemoryContext ctx = agg_context(fcinfo);
  CorrState* s = PG_ARGISNULL(0) ? new_wide(ctx) : wide_arg(fcinfo, 0);
  if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2)) pulse::corr_add(s, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
  PG_RETURN_POINTER(s);
}

// moving_corr_inv(internal, float8, float8): exact inverse transition. NULL
// tells the window executor to restart the frame (only when forced).
PULSE_FUNCTION(pulse_moving_corr_inv) {
  agg_context(fcinfo);
  if (PG_ARGISNULL(0) || g_force_restart) PG_RETURN_NULL();
  CorrState* s = wide_arg(fcinfo, 0);
  if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2)) pulse::corr_remove(s, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
  PG_RETURN_POINTER(s);
}

// moving_corr_final(internal): corr() semantics on the exact sums of a state
// of any kind. It may normalize a wide state's digits in place, which keeps
// its value unchanged.
PULSE_FUNCTION(pulse_moving_corr_final) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  pulse::CorrResult r = pulse::corr_agg_result(PG_GETARG_POINTER(0));
  if (r.is_null) PG_RETURN_NULL();
  PG_RETURN_FLOAT8(r.value);
}

// moving_corr_combine(internal, internal): merges partial states (parallel).
PULSE_FUNCTION(pulse_moving_corr_combine) {
  MemoryContext ctx = agg_context(fcinfo);
  if (PG_ARGISNULL(1)) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    PG_RETURN_POINTER(PG_GETARG_POINTER(0));
  }
  const void* other = PG_GETARG_POINTER(1);
  if (PG_ARGISNULL(0)) {
    std::size_t size = pulse::corr_agg_size(pulse::corr_agg_kind(other));
    if (size == 0) throw pulse::Error(pulse::sqlstate::kInternalError, "moving_corr: unknown state");
    void* s = pulse::pg::alloc_in(ctx, size);
    std::memcpy(s, other, size);
    PG_RETURN_POINTER(s);
  }
  PG_RETURN_POINTER(pulse::corr_agg_combine(arena_of(ctx), PG_GETARG_POINTER(0), other));
}

// moving_corr_serialize(internal) -> bytea: the struct's bytes (its kind first).
PULSE_FUNCTION(pulse_moving_corr_serialize) {
  agg_context(fcinfo);
  void* s = PG_GETARG_POINTER(0);
  pulse::corr_agg_prepare_serialize(s);
  return pulse::pg::bytea_datum(s, pulse::corr_agg_size(pulse::corr_agg_kind(s)));
}

// moving_corr_deserialize(bytea, internal) -> internal.
PULSE_FUNCTION(pulse_moving_corr_deserialize) {
  MemoryContext ctx = agg_context(fcinfo);
  std::string_view bytes = pulse::pg::bytea_view(PG_GETARG_DATUM(0));
  uint32_t kind = 0;
  if (bytes.size() >= sizeof kind) std::memcpy(&kind, bytes.data(), sizeof kind);
  std::size_t size = pulse::corr_agg_size(kind);
  if (size == 0 || bytes.size() != size)
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "invalid moving_corr state");
  void* s = pulse::pg::alloc_in(ctx, size);
  std::memcpy(s, bytes.data(), size);
  PG_RETURN_POINTER(s);
}

// ---- plain aggregation's state as a bytea (STYPE bytea) ----------------
// Citus combines partial aggregates across shards only for a state type
// with text input and output (it ships the state between nodes as text),
// not for `internal`; bytea has them, and PostgreSQL's own parallel
// aggregation needs no serialization step for it. The state struct (compact,
// medium or wide: core/corr_agg.h) keeps its layout: the 4-byte varlena
// header takes the place of its leading 4-byte kind, which the struct's size
// (the bytea's) tells apart, so the 128-byte compact state is still one
// 128-byte chunk. Before the core sees a state its kind is written back in
// place of the header, and the header again before PostgreSQL sees it.
namespace {

constexpr std::size_t kHeader = sizeof(uint32_t);  // == VARHDRSZ: where kind lives
static_assert(sizeof(pulse::CorrState) % 8 == 0);

uint32_t kind_of_size(std::size_t total) {
  for (uint32_t kind : {pulse::kCorrCompact, pulse::kCorrMedium, pulse::kCorrWide})
    if (pulse::corr_agg_size(kind) == total) return kind;
  return 0;
}

// A chunk holding the state as PostgreSQL sees it -> the core's view.
void* to_core(void* chunk) {
  uint32_t kind = kind_of_size(pulse::pg::bytea_chunk_size(chunk));
  if (kind == 0) throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "invalid moving_corr state");
  std::memcpy(chunk, &kind, sizeof kind);
  return chunk;
}

// The core's state -> a bytea datum (the same chunk).
Datum to_datum(void* state) {
  pulse::pg::set_bytea_size(state, pulse::corr_agg_size(pulse::corr_agg_kind(state)));
  return PointerGetDatum(state);
}

// States from the caller's memory: a new state is handed to the executor,
// which copies it into the aggregate's context and frees the one it held
// (so the core must not free it: release does nothing). The transition value
// itself is changed in place, as an aggregate's transition function may.
pulse::CorrArena bytea_arena() {
  return {[](void*, std::size_t size) { return pulse::pg::alloc_current(size); }, [](void*) {}, nullptr};
}

// Argument argno as a state the core may change: the transition value's own
// chunk (the normal case), else a copy.
void* writable_state(FunctionCallInfo fcinfo, int argno) {
  if (void* own = pulse::pg::bytea_own_chunk(PG_GETARG_DATUM(argno))) return to_core(own);
  std::string_view bytes = pulse::pg::bytea_view(PG_GETARG_DATUM(argno));
  void* copy = pulse::pg::alloc_current(bytes.size() + kHeader);
  std::memcpy(static_cast<char*>(copy) + kHeader, bytes.data(), bytes.size());
  pulse::pg::set_bytea_size(copy, bytes.size() + kHeader);
  return to_core(copy);
}

// Argument argno copied into buf (read only: a combine's second input, the
// final function's state).
struct StateCopy {
  alignas(8) unsigned char bytes[sizeof(pulse::CorrState)];
};
void* read_state(FunctionCallInfo fcinfo, int argno, StateCopy* buf) {
  std::string_view bytes = pulse::pg::bytea_view(PG_GETARG_DATUM(argno));
  uint32_t kind = kind_of_size(bytes.size() + kHeader);
  if (kind == 0) throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "invalid moving_corr state");
  std::memcpy(buf->bytes, &kind, sizeof kind);
  std::memcpy(buf->bytes + kHeader, bytes.data(), bytes.size());
  return buf->bytes;
}

}  // namespace

// moving_corr_accum(bytea, float8, float8) -> bytea: forward transition of
// plain aggregation (GROUP BY, parallel and Citus partials, frames that only
// grow): starts compact and moves to a larger state only when the values need it.
PULSE_FUNCTION(pulse_moving_corr_accum_bytea) {
  agg_context(fcinfo);
  pulse::CorrArena arena = bytea_arena();
  void* s = PG_ARGISNULL(0) ? pulse::corr_agg_new(arena, g_force_wide) : writable_state(fcinfo, 0);
  if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
    s = pulse::corr_agg_add(arena, s, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2));
  return to_datum(s);
}

// moving_corr_combine(bytea, bytea) -> bytea (strict): merges partial states.
PULSE_FUNCTION(pulse_moving_corr_combine_bytea) {
  agg_context(fcinfo);
  StateCopy other;
  const void* b = read_state(fcinfo, 1, &other);
  return to_datum(pulse::corr_agg_combine(bytea_arena(), writable_state(fcinfo, 0), b));
}

// moving_corr_final(bytea) -> float8: corr() of the state, read from a copy
// (the result may normalize a wide state's digits).
PULSE_FUNCTION(pulse_moving_corr_final_bytea) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  StateCopy copy;
  pulse::CorrResult r = pulse::corr_agg_result(read_state(fcinfo, 0, &copy));
  if (r.is_null) PG_RETURN_NULL();
  PG_RETURN_FLOAT8(r.value);
}

namespace {

void float8_array_arg(FunctionCallInfo fcinfo, int argno, const char* name, pulse::pg::Float8ArrayView* out) {
  if (PG_ARGISNULL(argno))
    throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, std::string(name) + " must not be NULL");
  pulse::pg::float8_array_view(PG_GETARG_DATUM(argno), name, out);
}

const uint8_t* null_flags(const pulse::pg::Float8ArrayView& a) { return a.nulls.empty() ? nullptr : a.nulls.data(); }

}  // namespace

// lagged_corr(x float8[], y float8[], max_lag int) RETURNS TABLE(lag, n, corr)
PULSE_FUNCTION(pulse_lagged_corr) {
  pulse::pg::Float8ArrayView x, y;
  float8_array_arg(fcinfo, 0, "x", &x);
  float8_array_arg(fcinfo, 1, "y", &y);
  if (PG_ARGISNULL(2)) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "max_lag must not be NULL");
  std::vector<pulse::LagCorr> rows =
      pulse::lagged_corr(x.values, null_flags(x), x.size, y.values, null_flags(y), y.size, PG_GETARG_INT32(2));
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  for (const pulse::LagCorr& r : rows)
    out.put({Cell::int4(r.lag), Cell::int4(static_cast<int32_t>(r.n)),
             r.corr.is_null ? Cell::null() : Cell::float8(r.corr.value)});
  return static_cast<Datum>(0);
}

// moving_corr_series(x float8[], y float8[], frame int) RETURNS float8[]:
// element i is moving_corr over the trailing frame pairs ending at i; the
// result has x's lower bound.
PULSE_FUNCTION(pulse_moving_corr_series) {
  pulse::pg::Float8ArrayView x, y;
  float8_array_arg(fcinfo, 0, "x", &x);
  float8_array_arg(fcinfo, 1, "y", &y);
  if (PG_ARGISNULL(2)) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "frame must not be NULL");
  std::vector<double> out(x.size);
  std::vector<uint8_t> out_null(x.size);
  pulse::moving_corr_series(x.values, null_flags(x), x.size, y.values, null_flags(y), y.size, PG_GETARG_INT32(2),
                            out.data(), out_null.data());
  return pulse::pg::float8_array_datum(out.data(), out_null.data(), out.size(), x.lower_bound);
}

namespace {

// Partition-local state of session_start (zeroed by PostgreSQL per partition).
struct SessionState {
  pulse::SessionTracker tracker;
  int64_t next_pos;
};
static_assert(std::is_trivially_copyable_v<SessionState>);

}  // namespace

// session_start(ts timestamptz, gap interval) OVER (PARTITION BY .. ORDER BY ts):
// O(1) per row, carrying the running session in partition-local memory.
PULSE_FUNCTION(pulse_session_start) {
  pulse::pg::WindowCall window(fcinfo);
  auto* st = static_cast<SessionState*>(window.partition_memory(sizeof(SessionState)));
  int64_t pos = window.current_position();
  if (pos != st->next_pos)
    throw pulse::Error(pulse::sqlstate::kInternalError, "session_start: rows arrived out of order");
  st->next_pos = pos + 1;
  // Only the current row is ever read: let the executor drop earlier rows.
  window.set_mark(pos);
  std::optional<pulse::pg::IntervalParts> gap = window.interval_arg(1);
  if (!gap) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "gap must not be NULL");
  int64_t gap_us = pulse::session_gap_micros(gap->months, gap->days, gap->micros);
  std::optional<int64_t> ts = window.timestamptz_arg(0);
  if (!ts) PG_RETURN_NULL();  // a NULL time belongs to no session
  PG_RETURN_TIMESTAMPTZ(st->tracker.next(*ts, gap_us));
}
