// A materialized set-returning function result (srf.h).
#include "core/error.h"
#include "pg/guard.h"
#include "pg/srf.h"

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

MaterializedRows::MaterializedRows(FunctionCallInfo fcinfo) : fcinfo_(fcinfo) {
  pg_guard([&] { InitMaterializedSRF(fcinfo, 0); });
}

void MaterializedRows::put(const Datum* values, const bool* nulls) {
  auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo_->resultinfo);
  pg_guard([&] {
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, const_cast<Datum*>(values), const_cast<bool*>(nulls));
  });
}

}  // namespace pulse::pg
