// SQL entry point of pulse.create_rollup's analysis (sql/code/62_rollups.sql).
#include <string>

#include "core/rollup_shape.h"
#include "entry/boundary.h"
#include "pg/rollup_query.h"
#include "pg/text.h"

// pulse_internal.rollup_shape(query text) RETURNS text (JSON): the analysed
// rollup definition, or an error naming what it does not support.
PULSE_FUNCTION(pulse_rollup_shape) {
  std::string sql(pulse::pg::text_view(PG_GETARG_DATUM(0)));
  pulse::RollupShape shape = pulse::pg::analyze_rollup_query(sql);
  return pulse::pg::text_datum(pulse::rollup_shape_json(shape));
}
