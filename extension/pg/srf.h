// A set-returning function's result built all at once (SFRM_Materialize).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// One column value of a result row.
struct Cell {
  Datum value;
  bool isnull;

  static Cell int4(int32_t v) noexcept;
  static Cell int8(int64_t v) noexcept;
  static Cell float8(double v) noexcept;
  // PostgreSQL keeps it as microseconds since 2000-01-01.
  static Cell timestamptz(int64_t v) noexcept;
  // A text datum holding a copy (palloc'd: may throw).
  static Cell text(std::string_view v);
  static Cell null() noexcept;
};

class MaterializedRows {
 public:
  // Sets fcinfo up to return a tuplestore shaped like the function's result.
  // expected_desc: take that shape from the calling node (rsinfo's
  // expectedDesc) instead of building it from the catalog, which costs more
  // than the rows for a function called once per row with a few rows each.
  explicit MaterializedRows(FunctionCallInfo fcinfo, bool expected_desc = false);
  // Appends one row: one cell per result column, in order.
  void put(std::initializer_list<Cell> row);

 private:
  FunctionCallInfo fcinfo_;
};

}  // namespace pulse::pg
