// Transactions and SPI queries for background workers (spi.h).
#include <string>

#include "core/error.h"
#include "pg/guard.h"
#include "pg/spi.h"

// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "utils/snapmgr.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {

void begin_transaction() {
  pg_guard([] {
    SetCurrentStatementStartTimestamp();
    StartTransactionCommand();
    SPI_connect();
    PushActiveSnapshot(GetTransactionSnapshot());
  });
}

void commit_transaction() {
  pg_guard([] {
    SPI_finish();
    PopActiveSnapshot();
    CommitTransactionCommand();
  });
}

void abort_transaction() noexcept {
  // SPI's and the snapshot stack's state are cleaned up by the abort itself.
  AbortCurrentTransaction();
}

std::vector<TextRow> query(const char* sql, const std::vector<Oid>& oid_args, bool read_only, long limit) {
  const int nargs = static_cast<int>(oid_args.size());
  std::vector<Oid> types(oid_args.size(), OIDOID);
  std::vector<Datum> values;
  for (Oid o : oid_args) values.push_back(ObjectIdGetDatum(o));
  int rc = pg_guard([&] {
    return SPI_execute_with_args(sql, nargs, types.data(), values.data(), nullptr, read_only, limit);
  });
  if (rc < 0) throw Error(sqlstate::kInternalError, "SPI_execute_with_args failed (SPI " + std::to_string(rc) + ")");
  std::vector<TextRow> rows;
  if (SPI_tuptable == nullptr) return rows;
  const int ncols = SPI_tuptable->tupdesc->natts;
  for (uint64 r = 0; r < SPI_processed; ++r) {
    TextRow row;
    for (int c = 1; c <= ncols; ++c) {
      char* v = pg_guard([&] { return SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c); });
      row.push_back(v ? std::optional<std::string>(v) : std::nullopt);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void report_activity(const char* query) noexcept {
  // Only writes this backend's own shared-memory slot; never raises.
  pgstat_report_activity(query ? STATE_RUNNING : STATE_IDLE, query);
}

}  // namespace pulse::pg
