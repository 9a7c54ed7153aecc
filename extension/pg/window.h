// The window function API (windowapi.h) for C++ callers: one object per call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "pg/datetime.h"
#include "pg/fmgr_glue.h"

namespace pulse::pg {

class WindowCall {
 public:
  explicit WindowCall(FunctionCallInfo fcinfo);

  // Zeroed memory that lives as long as the current partition.
  void* partition_memory(std::size_t size);
  // Position of the current row in the partition (0-based).
  int64_t current_position();
  // Rows before pos will not be read again: the executor may drop them.
  void set_mark(int64_t pos);
  // Argument argno of the current row; nullopt when SQL NULL.
  std::optional<int64_t> timestamptz_arg(int argno);
  std::optional<IntervalParts> interval_arg(int argno);

 private:
  Datum arg(int argno, bool* isnull);
  void* winobj_;  // WindowObject
};

}  // namespace pulse::pg
