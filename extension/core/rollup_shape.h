// The shape of a rollup definition (SPEC "Streaming rollups"): the window, the
// group columns and the aggregates of `SELECT <window>, <groups>, <aggregates>
// FROM <table> [WHERE ...] GROUP BY ...`, each as SQL text that PostgreSQL
// deparsed from the analysed query. pulse.create_rollup reads it as JSON.
#pragma once

#include "core/no_postgres.h"

#include <string>
#include <vector>

namespace pulse {

enum class WindowKind { kTumbling, kHop, kSession };

struct RollupColumn {
  std::string name;  // the output column, as in the query
  std::string expr;  // deparsed SQL over the base table's columns
  std::string type;  // format_type of its type, with typmod
  std::string func;  // aggregates only: count, sum, min, max, avg, moving_corr
  bool distinct = false;
  // sum over a NOT NULL column of an exact type: a batch's effect on it is
  // its new rows' sum minus its old rows' sum (incremental maintenance)
  bool additive = false;
};

struct RollupShape {
  unsigned relid = 0;
  std::string relation;  // the base table, qualified and quoted
  WindowKind kind = WindowKind::kTumbling;
  std::string window_name;  // the window start's output column
  std::string time_column;  // the base table's column the window is over
  std::string size;         // tumbling and hop: width; session: gap
  std::string slide;        // hop only
  std::string origin;       // tumbling only
  std::vector<RollupColumn> groups;
  std::vector<RollupColumn> aggregates;
  std::string where;  // empty when there is no WHERE
};

// The JSON object create_rollup reads; every text is escaped per RFC 8259.
std::string rollup_shape_json(const RollupShape& shape);

// JSON string literal of s (quotes included); bytes >= 0x80 pass through.
std::string json_quote(const std::string& s);

}  // namespace pulse
