// The ProcessUtility hook for entry/: installing one in front of the hook
// already there, passing a statement on, reading the one statement shape the
// hook looks at (a command that creates one named index), and the guarded
// catalog look-ups behind its decision.
#pragma once

#include <string>

#include "pg/fmgr_glue.h"

extern "C" {
#include "tcop/utility.h"
}

namespace pulse::pg {

// PostgreSQL 15's ProcessUtility hook signature.
using UtilityHook = ProcessUtility_hook_type;

// Puts hook in front of the ProcessUtility_hook already installed (kept for
// run_next_utility). Once per process, from _PG_init.
void install_utility_hook(UtilityHook hook) noexcept;

// Runs the statement as if our hook were not there: the previous hook, or
// standard_ProcessUtility. Deliberately not under pg_guard: the statement's
// own errors must reach the client exactly as PostgreSQL raised them (error
// position, context, cancel), so this may longjmp. Call it only from a frame
// that holds no object with a destructor (entry/utility_hook.cpp).
void run_next_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                      ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                      DestReceiver* dest, QueryCompletion* qc);

// A statement that creates exactly one named index on one table:
//   ALTER TABLE [ONLY] rel ADD CONSTRAINT name PRIMARY KEY | UNIQUE | EXCLUDE (...)
//     as its only subcommand (not USING INDEX), or
//   CREATE [UNIQUE] INDEX name ON [ONLY] rel ... (not CONCURRENTLY, not IF NOT EXISTS).
// pg_dump writes a table's constraints and indexes this way, one per statement.
struct NamedIndexCommand {
  enum class Kind { kNone, kPrimaryKey, kUnique, kExclusion, kIndex, kUniqueIndex };
  Kind kind = Kind::kNone;
  const RangeVar* relation = nullptr;
  const char* name = nullptr;  // the index's (= the constraint's) name
};

// Reads the statement's parse tree; only top-level and query statements
// (PostgreSQL's own subcommands are left alone). Never raises.
NamedIndexCommand named_index_command(const PlannedStmt* pstmt, ProcessUtilityContext context) noexcept;

// An index of a partition that ATTACH PARTITION made from an index of its parent.
struct AttachedIndex {
  Oid index;         // InvalidOid: none
  Oid partition;     // the table it is on
  Oid parent_index;  // the parent's index it is attached to
};

// The index named cmd.name on cmd.relation, when creating it again could only
// fail as a duplicate of what ATTACH PARTITION made: the relation is a
// partition whose parent is a member of `extension` (pg_depend 'e'), an index
// of that name exists in the relation's schema, is on the relation, is of the
// same kind (the same constraint type; a plain or unique index without a
// constraint) and is attached to an index of that parent. Otherwise
// index == InvalidOid (also when the relation does not exist). The first look
// takes no lock; only a match is confirmed again under AccessShareLock on the
// relation, so statements that pass through are never lock-upgraded.
AttachedIndex index_made_by_attach(const NamedIndexCommand& cmd, const char* extension);

// "schema.name" of a relation, each part quoted as needed.
std::string qualified_relation_name(Oid relid);

}  // namespace pulse::pg
