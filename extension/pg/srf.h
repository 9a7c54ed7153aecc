// A set-returning function's result built all at once (SFRM_Materialize).
#pragma once

#include <cstdint>
#include <initializer_list>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// One column value of a result row.
struct Cell {
  Datum value;
  bool isnull;

  static Cell int4(int32_t v) noexcept;
  static Cell float8(double v) noexcept;
  static Cell null() noexcept;
};

class MaterializedRows {
 public:
  // Sets fcinfo up to return a tuplestore shaped like the function's result.
  explicit MaterializedRows(FunctionCallInfo fcinfo);
  // Appends one row: one cell per result column, in order.
  void put(std::initializer_list<Cell> row);

 private:
  FunctionCallInfo fcinfo_;
};

}  // namespace pulse::pg
