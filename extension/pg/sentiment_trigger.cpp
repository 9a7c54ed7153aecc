#include <cmath>
#include <string>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/sentiment_trigger.h"
#include "pg/text.h"

// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/rel.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {
namespace {

// The column's number, checked to be of type `type`.
int column(TupleDesc desc, const char* name, Oid type, const char* type_name) {
  int att = pg_guard([&] { return SPI_fnumber(desc, name); });
  if (att <= 0)
    throw Error(sqlstate::kUndefinedColumn, std::string("the sentiment trigger needs a column \"") + name + "\"");
  if (TupleDescAttr(desc, att - 1)->atttypid != type)
    throw Error(sqlstate::kDatatypeMismatch,
                std::string("the sentiment trigger needs column \"") + name + "\" to be of type " + type_name);
  return att;
}

// IS DISTINCT FROM on text (byte equality: text's = under a deterministic
// collation, which a database's default always is).
bool text_distinct(HeapTuple a, HeapTuple b, int att, TupleDesc desc) {
  bool a_null = false, b_null = false;
  Datum x = pg_guard([&] { return heap_getattr(a, att, desc, &a_null); });
  Datum y = pg_guard([&] { return heap_getattr(b, att, desc, &b_null); });
  if (a_null || b_null) return a_null != b_null;
  return text_view(x) != text_view(y);
}

// IS DISTINCT FROM on float8 (float8's =: NaN equals NaN, -0 equals 0).
bool float8_distinct(HeapTuple a, HeapTuple b, int att, TupleDesc desc) {
  bool a_null = false, b_null = false;
  Datum x = pg_guard([&] { return heap_getattr(a, att, desc, &a_null); });
  Datum y = pg_guard([&] { return heap_getattr(b, att, desc, &b_null); });
  if (a_null || b_null) return a_null != b_null;
  double u = DatumGetFloat8(x), v = DatumGetFloat8(y);
  if (std::isnan(u) || std::isnan(v)) return std::isnan(u) != std::isnan(v);
  return u != v;
}

}  // namespace

Datum sentiment_row_trigger(FunctionCallInfo fcinfo, double (*score)(std::string_view)) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    throw Error(sqlstate::kTriggerProtocolViolated, "pulse_internal.tweets_sentiment() is called only as a trigger");
  auto* td = reinterpret_cast<TriggerData*>(fcinfo->context);
  const bool insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
  const bool update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
  if (!TRIGGER_FIRED_BEFORE(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event) || !(insert || update))
    throw Error(sqlstate::kTriggerProtocolViolated,
                "pulse_internal.tweets_sentiment() must be fired BEFORE INSERT OR UPDATE FOR EACH ROW");
  TupleDesc desc = td->tg_relation->rd_att;
  HeapTuple row = update ? td->tg_newtuple : td->tg_trigtuple;
  const int text_att = column(desc, "text", TEXTOID, "text");
  const int sentiment_att = column(desc, "sentiment", FLOAT8OID, "double precision");

  bool sentiment_null = false;
  pg_guard([&] { return heap_getattr(row, sentiment_att, desc, &sentiment_null); });
  bool rescore = sentiment_null;
  if (!rescore && update) {
    HeapTuple old = td->tg_trigtuple;
    rescore = text_distinct(row, old, text_att, desc) && !float8_distinct(row, old, sentiment_att, desc);
  }
  if (!rescore) return PointerGetDatum(row);

  bool text_null = false;
  Datum text = pg_guard([&] { return heap_getattr(row, text_att, desc, &text_null); });
  Datum value = static_cast<Datum>(0);
  bool value_null = text_null;
  if (!text_null) value = Float8GetDatum(score(text_view(text)));
  int cols[1] = {sentiment_att};
  HeapTuple out = pg_guard([&] { return heap_modify_tuple_by_cols(row, desc, 1, cols, &value, &value_null); });
  return PointerGetDatum(out);
}

}  // namespace pulse::pg
