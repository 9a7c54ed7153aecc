// The row trigger that keeps pulse.tweets.sentiment the score of its text
// (sql/code/52_sentiment.sql): in C++ because, written in PL/pgSQL, the
// trigger's own call cost about 3 us a row, more than the score it mostly
// only checks (the projections set it themselves), on every row a batch
// inserts (issue 17).
#pragma once

#include <string_view>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// BEFORE INSERT OR UPDATE ... FOR EACH ROW on a table with the columns
// text (text) and sentiment (float8): the new row, with sentiment set to
// score(text) (NULL for NULL text) when it is NULL, or when an UPDATE
// changes the text but not the sentiment. Throws Error when not called so.
Datum sentiment_row_trigger(FunctionCallInfo fcinfo, double (*score)(std::string_view));

}  // namespace pulse::pg
