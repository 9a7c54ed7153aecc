// SQL entry points over the text of landing chunks (sql/code/06_landing.sql).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json_array_text.h"
#include "entry/boundary.h"
#include "pg/guard.h"
#include "pg/interrupts.h"
#include "pg/landing.h"
#include "pg/srf.h"
#include "pg/text.h"

namespace {

// The elements of a chunk's payloads; an error when they are not an array
// (stored payloads always are: landing_length checked them).
std::vector<pulse::Span> spans_of(std::string_view text) {
  auto spans = pulse::json_array_spans(text);
  if (!spans)
    throw pulse::Error(pulse::sqlstate::kInvalidTextRepresentation, "invalid input syntax for type json",
                       "The payloads of a landing chunk are not a JSON array.");
  return std::move(*spans);
}

// Elements [first, first + lim) of n, clipped.
struct Range {
  std::size_t from, to;
};
Range clip(std::size_t n, int32_t first, int32_t lim) {
  std::size_t from = first < 0 ? 0 : static_cast<std::size_t>(first);
  if (from > n) from = n;
  std::size_t count = lim < 0 ? 0 : static_cast<std::size_t>(lim);
  return {from, count > n - from ? n : from + count};
}

}  // namespace

// pulse_internal.landing_length(payloads text) RETURNS integer (IMMUTABLE,
// STRICT): the generated column n. The number of records, NULL when the text
// is JSON but not an array, jsonb's error when jsonb would refuse it.
PULSE_FUNCTION(pulse_landing_length) {
  int n = pulse::pg::json_array_checked_length(pulse::pg::text_view(PG_GETARG_DATUM(0)));
  if (n < 0) PG_RETURN_NULL();
  PG_RETURN_INT32(n);
}

// pulse_internal.landing_records(payloads text, first integer, lim integer)
// RETURNS TABLE(payload jsonb, i integer) (STRICT): records first, first + 1,
// ... (at most lim; first from 0) of a chunk as jsonb, with i their number
// in the chunk from 1.
PULSE_FUNCTION(pulse_landing_records) {
  std::string_view text = pulse::pg::text_view(PG_GETARG_DATUM(0));
  std::vector<pulse::Span> spans = spans_of(text);
  Range r = clip(spans.size(), PG_GETARG_INT32(1), PG_GETARG_INT32(2));
  pulse::pg::MaterializedRows out(fcinfo, true);
  for (std::size_t k = r.from; k < r.to; ++k) {
    if ((k - r.from) % 1024 == 1023) pulse::pg::check_for_interrupts();
    const pulse::Span& s = spans[k];
    Datum payload = pulse::pg::jsonb_from_text(text.substr(s.begin, s.end - s.begin));
    out.put({pulse::pg::Cell{payload, false}, pulse::pg::Cell::int4(static_cast<int32_t>(k + 1))});
    pulse::pg::pg_guard([&] { pfree(DatumGetPointer(payload)); });
  }
  return static_cast<Datum>(0);
}

// pulse_internal.landing_record(payloads text, i integer) RETURNS jsonb
// (IMMUTABLE, STRICT): record i (from 0) of a chunk, NULL when it has no
// record i. The view pulse.landing calls it per record, so a query that does
// not read payload parses none.
PULSE_FUNCTION(pulse_landing_record) {
  Datum d = pulse::pg::landing_record(fcinfo, PG_GETARG_DATUM(0), PG_GETARG_INT32(1));
  if (d == static_cast<Datum>(0)) PG_RETURN_NULL();
  return d;
}

// pulse_internal.landing_slice(payloads text, first integer, lim integer)
// RETURNS text (STRICT): the JSON array of records first, ... (at most lim)
// of a chunk, each record's text as it was.
PULSE_FUNCTION(pulse_landing_slice) {
  std::string_view text = pulse::pg::text_view(PG_GETARG_DATUM(0));
  std::vector<pulse::Span> spans = spans_of(text);
  Range r = clip(spans.size(), PG_GETARG_INT32(1), PG_GETARG_INT32(2));
  std::string out = "[";
  for (std::size_t k = r.from; k < r.to; ++k) {
    if (k > r.from) out += ',';
    out.append(text, spans[k].begin, spans[k].end - spans[k].begin);
  }
  out += ']';
  return pulse::pg::text_datum(out);
}
