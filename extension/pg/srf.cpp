// A materialized set-returning function result (srf.h).
#include <cstddef>
#include <memory>
#include <vector>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/srf.h"
#include "pg/text.h"

// funcapi.h pulls in the executor's headers, whose spinlock code uses the
// `register` keyword that C++17 dropped.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "funcapi.h"
#include "utils/tuplestore.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {

Cell Cell::int4(int32_t v) noexcept { return Cell{Int32GetDatum(v), false}; }
Cell Cell::int8(int64_t v) noexcept { return Cell{Int64GetDatum(v), false}; }
Cell Cell::float8(double v) noexcept { return Cell{Float8GetDatum(v), false}; }
Cell Cell::timestamptz(int64_t v) noexcept { return Cell{Int64GetDatum(v), false}; }
Cell Cell::text(std::string_view v) { return Cell{text_datum(v), false}; }
Cell Cell::null() noexcept { return Cell{static_cast<Datum>(0), true}; }

MaterializedRows::MaterializedRows(FunctionCallInfo fcinfo, bool expected_desc) : fcinfo_(fcinfo) {
  const bits32 flags = expected_desc ? MAT_SRF_USE_EXPECTED_DESC : 0;
  pg_guard([&] { InitMaterializedSRF(fcinfo, flags); });
}

void MaterializedRows::put(std::initializer_list<Cell> row) {
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo_->resultinfo);
  if (static_cast<int>(row.size()) != rsinfo->setDesc->natts)
    throw Error(sqlstate::kInternalError, "result row has the wrong number of columns");
  std::vector<Datum> values(row.size());
  std::unique_ptr<bool[]> nulls(new bool[row.size()]);
  std::size_t i = 0;
  for (const Cell& c : row) {
    values[i] = c.value;
    nulls[i++] = c.isnull;
  }
  pg_guard([&] { tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values.data(), nulls.get()); });
}

}  // namespace pulse::pg
