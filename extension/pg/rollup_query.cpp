// A rollup definition is parsed (raw_parser), its window marker renamed to a
// scalar stand-in (pulse.hop returns a set, pulse.session is no function, and
// neither may stand in GROUP BY as written), analysed as a query in the
// caller's search_path, checked against the supported form, and every part
// deparsed back to SQL over the base table with ruleutils: the maintenance
// SQL is then built from PostgreSQL's own reading of the query, never from
// pattern matching on its text.
#include "pg/rollup_query.h"

#include <cstring>
#include <string>

#include "core/error.h"
#include "pg/guard.h"

// Some of these headers reach s_lock.h, which uses `register` (not C++17).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wregister"
extern "C" {
#include "postgres.h"
#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
}
#pragma GCC diagnostic pop

namespace pulse::pg {
namespace {

using sqlstate::kFeatureNotSupported;

[[noreturn]] void unsupported(const std::string& what, const std::string& hint = std::string()) {
  throw Error(kFeatureNotSupported, "rollup definitions do not support " + what,
              std::string(),
              hint.empty() ? "A rollup is SELECT <window>, <group columns>, <aggregates> FROM <managed table> "
                             "[WHERE ...] GROUP BY <window>, <group columns>." : hint);
}

// The last name of a raw function call, and whether it names one of our
// window markers (pulse.hop / pulse.session, or unqualified hop / session).
enum class Marker { kNone, kHop, kSession };

Marker marker_of(const Node* n) {
  if (n == nullptr || !IsA(n, FuncCall)) return Marker::kNone;
  const FuncCall* fc = reinterpret_cast<const FuncCall*>(n);
  int len = list_length(fc->funcname);
  if (len < 1 || len > 2) return Marker::kNone;
  if (len == 2 && std::strcmp(strVal(linitial(fc->funcname)), "pulse") != 0) return Marker::kNone;
  const char* last = strVal(llast(fc->funcname));
  if (std::strcmp(last, "hop") == 0) return Marker::kHop;
  if (std::strcmp(last, "session") == 0) return Marker::kSession;
  return Marker::kNone;
}

void rename_marker(FuncCall* fc, Marker m) {
  const char* name = m == Marker::kHop ? "rollup_hop" : "rollup_session";
  List* names = pg_guard([&] { return list_make2(makeString(pstrdup("pulse_internal")), makeString(pstrdup(name))); });
  fc->funcname = names;
}

std::string deparse(Node* expr, List* context) {
  char* s = pg_guard([&] { return deparse_expression(expr, context, false, false); });
  return std::string(s);
}

std::string type_of(Node* expr) {
  char* s = pg_guard([&] { return format_type_with_typemod(exprType(expr), exprTypmod(expr)); });
  return std::string(s);
}

bool mutable_in(Node* n) {
  return pg_guard([&] { return contain_mutable_functions(n); });
}

// The function's schema-qualified name, for matching the supported set.
std::string func_name(Oid fn) {
  char* name = pg_guard([&] { return get_func_name(fn); });
  Oid nsp = pg_guard([&] { return get_func_namespace(fn); });
  char* nspname = pg_guard([&] { return get_namespace_name(nsp); });
  return std::string(nspname ? nspname : "?") + "." + (name ? name : "?");
}

void check_raw(SelectStmt* s) {
  if (s->op != SETOP_NONE) unsupported("UNION, INTERSECT or EXCEPT");
  if (s->withClause) unsupported("WITH");
  if (s->intoClause) unsupported("INTO");
  if (s->valuesLists) unsupported("VALUES");
  if (s->distinctClause) unsupported("SELECT DISTINCT");
  if (s->havingClause) unsupported("HAVING", "Filter the rollup's results table instead.");
  if (s->windowClause) unsupported("WINDOW clauses");
  if (s->sortClause) unsupported("ORDER BY", "Order when you read the results table.");
  if (s->limitCount || s->limitOffset) unsupported("LIMIT or OFFSET");
  if (s->lockingClause) unsupported("FOR UPDATE or FOR SHARE");
  if (s->groupDistinct) unsupported("GROUP BY DISTINCT");
  if (list_length(s->fromClause) != 1 || !IsA(linitial(s->fromClause), RangeVar))
    unsupported("a FROM clause other than one table", "Read one managed table; join in a view over the results.");
  if (s->groupClause == NIL) unsupported("a query without GROUP BY");
}

RollupShape describe(Query* q, RangeTblEntry* rte);

}  // namespace

RollupShape analyze_rollup_query(const std::string& sql) {
  if (sql.find('\0') != std::string::npos) throw Error("22021", "the rollup definition contains a NUL byte");
  List* stmts = pg_guard([&] { return raw_parser(sql.c_str(), RAW_PARSE_DEFAULT); });
  if (list_length(stmts) != 1) unsupported("more than one statement");
  RawStmt* raw = linitial_node(RawStmt, stmts);
  if (!IsA(raw->stmt, SelectStmt)) unsupported("statements other than SELECT");
  SelectStmt* sel = reinterpret_cast<SelectStmt*>(raw->stmt);
  check_raw(sel);

  // The window marker may stand in the select list and in GROUP BY.
  Marker marker = Marker::kNone;
  ListCell* lc;
  foreach (lc, sel->targetList) {
    ResTarget* rt = lfirst_node(ResTarget, lc);
    Marker m = marker_of(rt->val);
    if (m == Marker::kNone) continue;
    if (marker != Marker::kNone) unsupported("more than one pulse.hop or pulse.session window");
    marker = m;
    rename_marker(reinterpret_cast<FuncCall*>(rt->val), m);
  }
  foreach (lc, sel->groupClause) {
    Node* g = static_cast<Node*>(lfirst(lc));
    Marker m = marker_of(g);
    if (m != Marker::kNone) rename_marker(reinterpret_cast<FuncCall*>(g), m);
  }

  const char* text = sql.c_str();
  Query* q = pg_guard([&] { return parse_analyze_fixedparams(raw, text, nullptr, 0, nullptr); });
  if (q->commandType != CMD_SELECT || q->utilityStmt) unsupported("statements other than SELECT");
  if (q->hasWindowFuncs) unsupported("window functions");
  if (q->hasTargetSRFs) unsupported("set-returning functions in the select list");
  if (q->hasSubLinks) unsupported("subqueries");
  if (q->groupingSets) unsupported("GROUPING SETS, ROLLUP or CUBE");
  if (q->cteList || q->setOperations || q->havingQual || q->sortClause || q->limitCount) unsupported("this query form");
  if (!q->hasAggs) unsupported("a query without aggregates");
  if (list_length(q->rtable) != 1) unsupported("a FROM clause other than one table");
  RangeTblEntry* rte = linitial_node(RangeTblEntry, q->rtable);
  if (rte->rtekind != RTE_RELATION || rte->inh == false)
    unsupported("ONLY, or a FROM item that is not a table");
  char relkind = rte->relkind;
  if (relkind != RELKIND_PARTITIONED_TABLE && relkind != RELKIND_RELATION)
    unsupported("a FROM item that is not a table");

  // Everything below is deparsed as the maintenance will read it: with a
  // search_path of pg_catalog only (names outside it come out qualified) and
  // fixed date and interval styles (constants come out unambiguous).
  int nest = pg_guard([] { return NewGUCNestLevel(); });
  pg_guard([] {
    set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    set_config_option("datestyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    set_config_option("intervalstyle", "postgres", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    set_config_option("timezone", "UTC", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
  });
  RollupShape shape = describe(q, rte);
  pg_guard([nest] { AtEOXact_GUC(true, nest); });
  return shape;
}

namespace {

RollupShape describe(Query* q, RangeTblEntry* rte) {
  ListCell* lc;
  RollupShape shape;
  shape.relid = rte->relid;
  char* relname = pg_guard([&] { return get_rel_name(rte->relid); });
  Oid relnsp = pg_guard([&] { return get_rel_namespace(rte->relid); });
  char* nspname = pg_guard([&] { return get_namespace_name(relnsp); });
  const char* qual = pg_guard([&] { return quote_qualified_identifier(nspname, relname); });
  shape.relation = qual;
  const char* alias = rte->eref->aliasname;
  List* context = pg_guard([&] { return deparse_context_for(alias, rte->relid); });

  bool have_window = false;
  foreach (lc, q->targetList) {
    TargetEntry* te = lfirst_node(TargetEntry, lc);
    if (te->resjunk) continue;
    std::string name = te->resname ? te->resname : "";
    if (name.empty() || name == "?column?") unsupported("an output column without a name", "Name it with AS.");
    for (const char* reserved : {"window_end", "pane", "timing", "final", "updated_at"}) {
      if (name == reserved)
        throw Error("42701", "rollup output column \"" + name + "\" clashes with a column every results table has",
                    std::string(), "Give it another name with AS.");
    }
    Node* expr = reinterpret_cast<Node*>(te->expr);

    if (IsA(expr, FuncExpr)) {
      FuncExpr* fe = reinterpret_cast<FuncExpr*>(expr);
      std::string fn = func_name(fe->funcid);
      bool is_window = fn == "pg_catalog.date_bin" || fn == "pulse_internal.rollup_hop" ||
                       fn == "pulse_internal.rollup_session";
      if (is_window) {
        if (have_window) unsupported("more than one window column");
        have_window = true;
        if (te->ressortgroupref == 0) unsupported("a window column missing from GROUP BY");
        Node* t = static_cast<Node*>(list_nth(fe->args, fn == "pg_catalog.date_bin" ? 1 : 0));
        if (!IsA(t, Var) || exprType(t) != TIMESTAMPTZOID)
          unsupported("a window over anything but a timestamptz column of the table",
                      "Window over the managed table's time column itself, such as date_bin('1 minute', created_at, "
                      "'1970-01-01').");
        Var* v = reinterpret_cast<Var*>(t);
        char* att = pg_guard([&] { return get_attname(rte->relid, v->varattno, false); });
        shape.time_column = att;
        shape.window_name = name;
        auto constant = [&](int i, const char* what) {
          Node* a = static_cast<Node*>(list_nth(fe->args, i));
          if (!IsA(a, Const) || reinterpret_cast<Const*>(a)->constisnull)
            unsupported(std::string("a window ") + what + " that is not a constant");
          return deparse(a, context);
        };
        if (fn == "pg_catalog.date_bin") {
          shape.kind = WindowKind::kTumbling;
          if (exprType(static_cast<Node*>(linitial(fe->args))) != INTERVALOID)
            unsupported("date_bin over anything but an interval and timestamptz");
          shape.size = constant(0, "size");
          shape.origin = constant(2, "origin");
        } else if (fn == "pulse_internal.rollup_hop") {
          shape.kind = WindowKind::kHop;
          shape.size = constant(1, "size");
          shape.slide = constant(2, "slide");
        } else {
          shape.kind = WindowKind::kSession;
          shape.size = constant(1, "gap");
        }
        continue;
      }
    }
    if (IsA(expr, Aggref)) {
      Aggref* ag = reinterpret_cast<Aggref*>(expr);
      std::string fn = func_name(ag->aggfnoid);
      RollupColumn col;
      if (fn == "pg_catalog.count" || fn == "pg_catalog.sum" || fn == "pg_catalog.min" || fn == "pg_catalog.max" ||
          fn == "pg_catalog.avg") {
        col.func = fn.substr(11);
      } else if (fn == "pulse.moving_corr") {
        col.func = "moving_corr";
      } else {
        unsupported("the aggregate " + fn,
                    "Supported: count, count(DISTINCT ...), sum, min, max, avg and pulse.moving_corr.");
      }
      if (ag->aggorder) unsupported("ORDER BY inside an aggregate");
      if (ag->aggdistinct && col.func != "count") unsupported("DISTINCT in " + col.func);
      if (ag->aggkind != AGGKIND_NORMAL) unsupported("ordered-set aggregates");
      if (mutable_in(expr)) unsupported("functions that are not IMMUTABLE in " + name);
      col.distinct = ag->aggdistinct != NIL;
      if (col.func == "sum" && !col.distinct && list_length(ag->args) == 1) {
        Node* arg = reinterpret_cast<Node*>(linitial_node(TargetEntry, ag->args)->expr);
        Oid t = exprType(arg);
        if (IsA(arg, Var) && (t == INT2OID || t == INT4OID || t == INT8OID || t == NUMERICOID)) {
          AttrNumber attnum = reinterpret_cast<Var*>(arg)->varattno;
          Oid relid = rte->relid;
          col.additive = pg_guard([relid, attnum] {
            HeapTuple tp = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(attnum));
            if (!HeapTupleIsValid(tp)) return false;
            bool not_null = reinterpret_cast<Form_pg_attribute>(GETSTRUCT(tp))->attnotnull;
            ReleaseSysCache(tp);
            return not_null;
          });
        }
      }
      col.name = name;
      col.expr = deparse(expr, context);
      col.type = type_of(expr);
      shape.aggregates.push_back(col);
      continue;
    }
    if (te->ressortgroupref == 0)
      unsupported("the column \"" + name + "\", which is neither the window, a GROUP BY column nor an aggregate");
    if (mutable_in(expr)) unsupported("functions that are not IMMUTABLE in " + name);
    RollupColumn col;
    col.name = name;
    col.expr = deparse(expr, context);
    col.type = type_of(expr);
    shape.groups.push_back(col);
  }
  if (!have_window)
    unsupported("a query without a window",
                "Put date_bin(size, t, origin), pulse.hop(t, size, slide) or pulse.session(t, gap) first in the "
                "select list and in GROUP BY.");
  // Every GROUP BY item must be an output column: a hidden grouping would
  // split results rows the table could not tell apart.
  foreach (lc, q->groupClause) {
    SortGroupClause* sgc = lfirst_node(SortGroupClause, lc);
    TargetEntry* te = pg_guard([&] { return get_sortgroupclause_tle(sgc, q->targetList); });
    if (te->resjunk) unsupported("GROUP BY items that are not in the select list");
  }
  Node* quals = q->jointree ? q->jointree->quals : nullptr;
  if (quals) {
    if (mutable_in(quals))
      unsupported("functions that are not IMMUTABLE in WHERE",
                  "A rollup must give the same result for the same rows at any time (now() and the like are out).");
    shape.where = deparse(quals, context);
  }
  return shape;
}

}  // namespace

}  // namespace pulse::pg
