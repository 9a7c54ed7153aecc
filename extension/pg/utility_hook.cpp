// The ProcessUtility hook's PostgreSQL side (utility_hook.h).
#include <string>

#include "pg/guard.h"
#include "pg/utility_hook.h"

// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "commands/extension.h"
#include "nodes/parsenodes.h"
#include "nodes/pg_list.h"
#include "storage/lockdefs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {
namespace {

using Kind = NamedIndexCommand::Kind;

UtilityHook g_next_hook = nullptr;

// The constraint type a kind of command makes ('\0': an index without one).
char constraint_type(Kind kind) noexcept {
  switch (kind) {
    case Kind::kPrimaryKey: return CONSTRAINT_PRIMARY;
    case Kind::kUnique: return CONSTRAINT_UNIQUE;
    case Kind::kExclusion: return CONSTRAINT_EXCLUSION;
    default: return '\0';
  }
}

// Whether index `idx` on `rel` has the kind the command would create.
bool same_kind(Oid idx, Oid rel, Kind kind, const char* name) {
  HeapTuple tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(idx));
  if (!HeapTupleIsValid(tup)) return false;
  Form_pg_index index = (Form_pg_index)GETSTRUCT(tup);
  bool on_rel = index->indrelid == rel;
  bool unique = index->indisunique;
  ReleaseSysCache(tup);
  if (!on_rel) return false;
  char contype = constraint_type(kind);
  if (contype == '\0')  // CREATE [UNIQUE] INDEX: an index that backs no constraint
    return get_index_constraint(idx) == InvalidOid && unique == (kind == Kind::kUniqueIndex);
  Oid con = get_relation_constraint_oid(rel, name, true);
  if (!OidIsValid(con)) return false;
  tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(con));
  if (!HeapTupleIsValid(tup)) return false;
  Form_pg_constraint c = (Form_pg_constraint)GETSTRUCT(tup);
  bool same = c->contype == contype && c->conindid == idx;
  ReleaseSysCache(tup);
  return same;
}

// The look-up behind index_made_by_attach, in plain PostgreSQL calls (run
// under pg_guard: no C++ object, no throw). Fills *out only on a match.
void find_attached_index(const RangeVar* relation, const char* name, Kind kind, const char* extension,
                         LOCKMODE lockmode, AttachedIndex* out) {
  Oid rel = RangeVarGetRelid(relation, lockmode, true);
  if (!OidIsValid(rel) || get_rel_relkind(rel) != RELKIND_RELATION || !get_rel_relispartition(rel)) return;
  List* ancestors = get_partition_ancestors(rel);
  if (ancestors == NIL) return;
  Oid parent = linitial_oid(ancestors);
  Oid ext = get_extension_oid(extension, true);
  if (!OidIsValid(ext) || getExtensionOfObject(RelationRelationId, parent) != ext) return;
  // An index lives in its table's schema: that is where CREATE INDEX and
  // ADD CONSTRAINT would put one named `name`.
  Oid idx = get_relname_relid(name, get_rel_namespace(rel));
  if (!OidIsValid(idx) || get_rel_relkind(idx) != RELKIND_INDEX || !same_kind(idx, rel, kind, name)) return;
  List* index_ancestors = get_partition_ancestors(idx);
  if (index_ancestors == NIL) return;
  Oid parent_index = linitial_oid(index_ancestors);
  if (IndexGetRelation(parent_index, true) != parent) return;
  out->index = idx;
  out->partition = rel;
  out->parent_index = parent_index;
}

}  // namespace

void install_utility_hook(UtilityHook hook) noexcept {
  g_next_hook = ProcessUtility_hook;
  ProcessUtility_hook = hook;
}

void run_next_utility(PlannedStmt* pstmt, const char* query_string, bool read_only_tree,
                      ProcessUtilityContext context, ParamListInfo params, QueryEnvironment* query_env,
                      DestReceiver* dest, QueryCompletion* qc) {
  if (g_next_hook != nullptr)
    g_next_hook(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
  else
    standard_ProcessUtility(pstmt, query_string, read_only_tree, context, params, query_env, dest, qc);
}

NamedIndexCommand named_index_command(const PlannedStmt* pstmt, ProcessUtilityContext context) noexcept {
  NamedIndexCommand cmd;
  Node* stmt = pstmt->utilityStmt;
  if (stmt == nullptr || context == PROCESS_UTILITY_SUBCOMMAND) return cmd;
  if (IsA(stmt, AlterTableStmt)) {
    const AlterTableStmt* alter = castNode(AlterTableStmt, stmt);
    if (alter->objtype != OBJECT_TABLE || alter->relation == nullptr || list_length(alter->cmds) != 1) return cmd;
    const AlterTableCmd* sub = castNode(AlterTableCmd, linitial(alter->cmds));
    if (sub->subtype != AT_AddConstraint || sub->def == nullptr || !IsA(sub->def, Constraint)) return cmd;
    const Constraint* con = castNode(Constraint, sub->def);
    if (con->conname == nullptr || con->indexname != nullptr) return cmd;
    switch (con->contype) {
      case CONSTR_PRIMARY: cmd.kind = Kind::kPrimaryKey; break;
      case CONSTR_UNIQUE: cmd.kind = Kind::kUnique; break;
      case CONSTR_EXCLUSION: cmd.kind = Kind::kExclusion; break;
      default: return cmd;
    }
    cmd.relation = alter->relation;
    cmd.name = con->conname;
  } else if (IsA(stmt, IndexStmt)) {
    const IndexStmt* index = castNode(IndexStmt, stmt);
    if (index->idxname == nullptr || index->relation == nullptr || index->primary || index->isconstraint ||
        index->concurrent || index->if_not_exists)
      return cmd;
    cmd.kind = index->unique ? Kind::kUniqueIndex : Kind::kIndex;
    cmd.relation = index->relation;
    cmd.name = index->idxname;
  }
  return cmd;
}

AttachedIndex index_made_by_attach(const NamedIndexCommand& cmd, const char* extension) {
  AttachedIndex found{InvalidOid, InvalidOid, InvalidOid};
  if (cmd.kind == Kind::kNone) return found;
  AttachedIndex* out = &found;
  pg_guard([&] { find_attached_index(cmd.relation, cmd.name, cmd.kind, extension, NoLock, out); });
  if (!OidIsValid(found.index)) return found;
  // Confirm under a lock that keeps the index from being dropped or detached
  // before the statement is skipped (RangeVarGetRelid rechecks the name).
  found = AttachedIndex{InvalidOid, InvalidOid, InvalidOid};
  pg_guard([&] { find_attached_index(cmd.relation, cmd.name, cmd.kind, extension, AccessShareLock, out); });
  return found;
}

std::string qualified_relation_name(Oid relid) {
  const char* name = pg_guard([&]() -> const char* {
    char* rel = get_rel_name(relid);
    char* nsp = get_namespace_name(get_rel_namespace(relid));
    return rel && nsp ? quote_qualified_identifier(nsp, rel) : "?";
  });
  return name;
}

}  // namespace pulse::pg
