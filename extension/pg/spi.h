// Transactions and SPI queries for code that runs outside a client's
// transaction (the maintenance background worker).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// A result row: every column as its text output, nullopt for NULL.
using TextRow = std::vector<std::optional<std::string>>;

// Starts a transaction with an active snapshot and an SPI connection.
void begin_transaction();
// Closes SPI and commits.
void commit_transaction();
// Rolls back after an error thrown by any call inside the transaction. Never
// throws: a failure to abort is FATAL, as in PostgreSQL itself.
void abort_transaction() noexcept;

// Runs a query in the open transaction; $1.. are the Oid arguments. At most
// `limit` rows (0: all).
std::vector<TextRow> query(const char* sql, const std::vector<Oid>& oid_args, bool read_only, long limit);

// What pg_stat_activity shows for this process: the query, or idle (nullptr).
void report_activity(const char* query) noexcept;

}  // namespace pulse::pg
