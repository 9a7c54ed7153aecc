// What the C++ record projections (entry/candles.cpp) need of PostgreSQL
// besides reading jsonb: exact numerics, the transaction's start time, and
// the one row a per-record set-returning function returns.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "pg/fmgr_glue.h"
#include "pg/srf.h"

namespace pulse::pg {

// numeric values: compare (<0, 0, >0), sign, numeric_out's text.
int numeric_cmp(Datum a, Datum b);
bool numeric_negative(Datum a);
std::string numeric_text(Datum a);
// numeric_in of a decimal the caller has checked (errors throw PgError).
Datum numeric_from_text(std::string_view s);

// An interval of `micros` microseconds (no days or months).
Datum interval_datum(int64_t micros);

// now(): the transaction's start, in microseconds since 1970.
int64_t transaction_start_unix_micros() noexcept;

// Returns one row from a set-returning function declared with a row result
// (RETURNS TABLE), called once per input: value-per-call, a single result.
// The row type is looked up once per call site and kept in fn_extra.
Datum one_row(FunctionCallInfo fcinfo, std::initializer_list<Cell> row);

}  // namespace pulse::pg
