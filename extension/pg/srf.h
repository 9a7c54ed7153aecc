// A set-returning function's result built all at once (SFRM_Materialize).
#pragma once

#include "pg/fmgr_glue.h"

namespace pulse::pg {

class MaterializedRows {
 public:
  // Sets fcinfo up to return a tuplestore shaped like the function's result.
  explicit MaterializedRows(FunctionCallInfo fcinfo);
  // Appends one row; values and nulls have one entry per result column.
  void put(const Datum* values, const bool* nulls);

 private:
  FunctionCallInfo fcinfo_;
};

}  // namespace pulse::pg
