// numerics, now() and one-row results for the C++ projections (projection.h).
#include <cstring>
#include <new>
#include <string>

#include "core/decimal_digits.h"
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

// The short form of a numeric (utils/adt/numeric.c, stable on disk since
// PostgreSQL 9.1): a 16-bit header, then the base-10,000 digits.
static constexpr uint16_t kNumericFormMask = 0xC000;  // short, long (by sign) or special
static constexpr uint16_t kNumericShort = 0x8000;
static constexpr uint16_t kShortSignNeg = 0x2000;
static constexpr int kShortDscaleShift = 7;
static constexpr uint16_t kShortWeightSign = 0x0040;
static constexpr uint16_t kShortWeightMask = 0x003F;

int numeric_cmp(Datum a, Datum b) {
  return pg_guard([&] { return DatumGetInt32(DirectFunctionCall2(::numeric_cmp, a, b)); });
}

bool numeric_negative(Datum a) {
  // A short-form numeric in line says it in its header (zero is never
  // negative there: make_result stores it positive).
  const auto* v = reinterpret_cast<const varlena*>(DatumGetPointer(a));
  if (!VARATT_IS_EXTERNAL(v) && !VARATT_IS_COMPRESSED(v) && VARSIZE_ANY_EXHDR(v) >= sizeof(uint16_t)) {
    uint16_t header;
    memcpy(&header, VARDATA_ANY(v), sizeof header);
    if ((header & kNumericFormMask) == kNumericShort) return (header & kShortSignNeg) != 0;
  }
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

namespace {

Datum numeric_in_text(std::string_view s) {
  std::string z(s);  // NUL-terminated
  const char* p = z.c_str();
  return pg_guard([&] {
    return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
  });
}

// The numeric of a DecimalDigits, as make_result would build it; nullptr
// when out of memory.
Datum pack_short(const DecimalDigits& d) {
  const Size size = VARHDRSZ + sizeof(uint16_t) + sizeof(int16_t) * d.ngroups;
  auto* p = static_cast<char*>(palloc_extended(size, MCXT_ALLOC_NO_OOM));
  if (p == nullptr) return static_cast<Datum>(0);
  SET_VARSIZE(p, size);
  uint16_t header = kNumericShort | static_cast<uint16_t>(d.dscale << kShortDscaleShift) |
                    static_cast<uint16_t>(d.weight & kShortWeightMask);
  if (d.negative) header |= kShortSignNeg;
  if (d.weight < 0) header |= kShortWeightSign;
  memcpy(p + VARHDRSZ, &header, sizeof header);
  memcpy(p + VARHDRSZ + sizeof header, d.groups.data(), sizeof(int16_t) * d.ngroups);
  return PointerGetDatum(p);
}

// Once per backend: the packed form of a few decimals must be numeric_in's
// to the byte, else every decimal goes through numeric_in.
bool packing_agrees() {
  static const bool agrees = [] {
    for (const char* t : {"0", "-0.000", "7", "-12345.678900", "0.0001", "99999999.99999999", "100000000", "-0.5"}) {
      auto d = short_decimal_digits(t);
      if (!d) return false;
      Datum mine = pack_short(*d);
      Datum theirs = numeric_in_text(t);
      if (mine == 0 || VARSIZE(DatumGetPointer(mine)) != VARSIZE(DatumGetPointer(theirs)) ||
          memcmp(DatumGetPointer(mine), DatumGetPointer(theirs), VARSIZE(DatumGetPointer(mine))) != 0)
        return false;
    }
    return true;
  }();
  return agrees;
}

}  // namespace

Datum numeric_from_text(std::string_view s) {
  if (auto d = short_decimal_digits(s); d && packing_agrees()) {
    Datum v = pack_short(*d);
    if (v == 0) throw std::bad_alloc();
    return v;
  }
  return numeric_in_text(s);
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
