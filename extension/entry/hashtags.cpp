// SQL entry points of the packed per-hashtag tweet sets (core/tag_vectors.h):
// the aggregates that turn a statement's changed tweets into deltas, merging
// a delta into a stored vector, reading vectors back, and the sums that
// pulse_internal.tag_counts and pulse.trending_hashtags read
// (sql/code/58_hashtags.sql, 76_trending.sql).
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/tag_vectors.h"
#include "entry/boundary.h"
#include "pg/arrays.h"
#include "pg/datetime.h"
#include "pg/memory.h"
#include "pg/srf.h"
#include "pg/text.h"

namespace {

namespace tagvec = pulse::tagvec;

// The aggregates' state: built in the aggregate's memory context and
// destroyed with it.
struct DeltaState {
  explicit DeltaState(tagvec::Kind kind) : builder(kind) {}
  tagvec::DeltaBuilder builder;
  std::vector<std::string_view> tags;  // the current row's, reused
};

DeltaState* delta_state(FunctionCallInfo fcinfo, tagvec::Kind kind) {
  MemoryContext ctx = pulse::pg::aggregate_context(fcinfo, "hashtag delta aggregate");
  if (!PG_ARGISNULL(0)) return reinterpret_cast<DeltaState*>(PG_GETARG_POINTER(0));
  void* mem = pulse::pg::alloc_in(ctx, sizeof(DeltaState));
  auto* s = new (mem) DeltaState(kind);  // nothing allocated yet: no leak if on_reset throws
  pulse::pg::on_reset(ctx, [](void* p) { static_cast<DeltaState*>(p)->~DeltaState(); }, s);
  return s;
}

int32_t sign_arg(FunctionCallInfo fcinfo, int argno) {
  int32_t n = PG_ARGISNULL(argno) ? 0 : PG_GETARG_INT32(argno);
  if (n != 1 && n != -1)
    throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "a tweet's sign must be 1 (added) or -1 (removed)");
  return n;
}

std::vector<std::string_view> vectors_arg(FunctionCallInfo fcinfo, int argno, const char* name) {
  if (PG_ARGISNULL(argno)) return {};
  return pulse::pg::bytea_array(PG_GETARG_DATUM(argno), name);
}

int64_t time_arg(FunctionCallInfo fcinfo, int argno) {
  if (PG_ARGISNULL(argno)) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "range ends must not be NULL");
  return PG_GETARG_INT64(argno);
}

Datum bytes_datum(const std::string& b) { return pulse::pg::bytea_datum(b.data(), b.size()); }

}  // namespace

// tag_minute_delta_trans(internal, created_at timestamptz, author_id bigint,
// hashtags text[], sign int): one changed tweet of one minute.
PULSE_FUNCTION(pulse_tag_minute_delta_trans) {
  DeltaState* s = delta_state(fcinfo, tagvec::Kind::kDetail);
  if (PG_ARGISNULL(1) || PG_ARGISNULL(3)) PG_RETURN_POINTER(s);
  pulse::pg::text_array_items(PG_GETARG_DATUM(3), "hashtags", &s->tags);
  s->builder.add_tweet(PG_GETARG_INT64(1), PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2), PG_ARGISNULL(2),
                       sign_arg(fcinfo, 4), s->tags);
  PG_RETURN_POINTER(s);
}

// tag_count_delta_trans(internal, minute_delta bytea): the tweets per tag
// of one minute's delta.
PULSE_FUNCTION(pulse_tag_count_delta_trans) {
  DeltaState* s = delta_state(fcinfo, tagvec::Kind::kCounts);
  if (!PG_ARGISNULL(1)) s->builder.add_counts_of(pulse::pg::bytea_view(PG_GETARG_DATUM(1)));
  PG_RETURN_POINTER(s);
}

// tag_delta_final(internal) RETURNS bytea: the delta, NULL when the changes
// cancel out (or there were none).
PULSE_FUNCTION(pulse_tag_delta_final) {
  if (PG_ARGISNULL(0)) PG_RETURN_NULL();
  pulse::pg::aggregate_context(fcinfo, "hashtag delta aggregate");
  auto* s = reinterpret_cast<DeltaState*>(PG_GETARG_POINTER(0));
  std::string v = s->builder.finish();
  if (tagvec::is_empty(v)) PG_RETURN_NULL();
  return bytes_datum(v);
}

// tag_vector_merge(bytea, bytea) RETURNS bytea (STRICT): a + b.
PULSE_FUNCTION(pulse_tag_vector_merge) {
  return bytes_datum(tagvec::merge(pulse::pg::bytea_view(PG_GETARG_DATUM(0)), pulse::pg::bytea_view(PG_GETARG_DATUM(1))));
}

// tag_vector_empty(bytea) RETURNS boolean (STRICT).
PULSE_FUNCTION(pulse_tag_vector_empty) { PG_RETURN_BOOL(tagvec::is_empty(pulse::pg::bytea_view(PG_GETARG_DATUM(0)))); }

// tag_minute_rows(v bytea) RETURNS TABLE(tag text, created_at timestamptz,
// author_id bigint, tweets bigint) (STRICT).
PULSE_FUNCTION(pulse_tag_minute_rows) {
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  for (const tagvec::DetailRow& r : tagvec::detail_rows(pulse::pg::bytea_view(PG_GETARG_DATUM(0))))
    out.put({Cell::text(r.tag), Cell::timestamptz(r.time_us), r.author_null ? Cell::null() : Cell::int8(r.author),
             Cell::int8(r.n)});
  return static_cast<Datum>(0);
}

// tag_count_rows(v bytea) RETURNS TABLE(tag text, tweets bigint) (STRICT).
PULSE_FUNCTION(pulse_tag_count_rows) {
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  for (const auto& [tag, n] : tagvec::count_rows(pulse::pg::bytea_view(PG_GETARG_DATUM(0))))
    out.put({Cell::text(tag), Cell::int8(n)});
  return static_cast<Datum>(0);
}

// tag_range_counts(lo, hi, minutes bytea[], periods bytea[]) RETURNS
// TABLE(tag text, tweets bigint).
PULSE_FUNCTION(pulse_tag_range_counts) {
  int64_t lo = time_arg(fcinfo, 0), hi = time_arg(fcinfo, 1);
  std::vector<std::string_view> minutes = vectors_arg(fcinfo, 2, "minutes");
  std::vector<std::string_view> periods = vectors_arg(fcinfo, 3, "periods");
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  for (const auto& [tag, n] : tagvec::range_counts(lo, hi, minutes, periods)) out.put({Cell::text(tag), Cell::int8(n)});
  return static_cast<Datum>(0);
}

// trending_candidates(w_lo, w_hi, w_minutes bytea[], b_lo, b_hi,
// b_minutes bytea[], b_periods bytea[], w_us bigint, b_us bigint, k bigint)
// RETURNS TABLE(tag text, tweets bigint, authors bigint, base bigint).
PULSE_FUNCTION(pulse_trending_candidates) {
  int64_t w_lo = time_arg(fcinfo, 0), w_hi = time_arg(fcinfo, 1);
  std::vector<std::string_view> window = vectors_arg(fcinfo, 2, "window minutes");
  int64_t b_lo = time_arg(fcinfo, 3), b_hi = time_arg(fcinfo, 4);
  std::vector<std::string_view> base_minutes = vectors_arg(fcinfo, 5, "baseline minutes");
  std::vector<std::string_view> base_periods = vectors_arg(fcinfo, 6, "baseline periods");
  for (int a = 7; a <= 9; ++a)
    if (PG_ARGISNULL(a)) throw pulse::Error(pulse::sqlstate::kNullValueNotAllowed, "window, baseline and k must not be NULL");
  int64_t w_us = PG_GETARG_INT64(7), b_us = PG_GETARG_INT64(8), k = PG_GETARG_INT64(9);
  if (w_us <= 0 || b_us <= 0) throw pulse::Error(pulse::sqlstate::kInvalidParameterValue, "window and baseline must be positive");
  std::vector<tagvec::TrendRow> rows =
      tagvec::trending_candidates(w_lo, w_hi, window, b_lo, b_hi, base_minutes, base_periods, w_us, b_us, k);
  pulse::pg::MaterializedRows out(fcinfo);
  using pulse::pg::Cell;
  for (const tagvec::TrendRow& r : rows)
    out.put({Cell::text(r.tag), Cell::int8(r.tweets), Cell::int8(r.authors), Cell::int8(r.base)});
  return static_cast<Datum>(0);
}
