// Reads a rollup definition with PostgreSQL's own parser and analyser and
// returns its shape (core/rollup_shape.h), or throws pulse::Error naming the
// part that is outside the supported form (SQLSTATE 0A000 or 42xxx).
#pragma once

#include <string>

#include "core/rollup_shape.h"

namespace pulse::pg {

RollupShape analyze_rollup_query(const std::string& sql);

}  // namespace pulse::pg
