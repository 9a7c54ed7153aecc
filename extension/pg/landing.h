// The raw records of pulse_internal.landing_chunks, kept as the text of one
// JSON array per chunk (issue 17: COPY then stores text, and jsonb's parser
// runs once per record where a record is read, not over the whole chunk as
// it is written).
#pragma once

#include <cstdint>
#include <string_view>

#include "pg/fmgr_glue.h"

namespace pulse::pg {

// How many elements a JSON array text holds; -1 when the text is JSON but
// not an array. Accepts exactly what jsonb's input accepts (PostgreSQL's
// JSON parser with strings unescaped, so \u0000 and escapes the database
// encoding cannot hold fail; numbers outside numeric's range fail; strings
// jsonb cannot hold fail) and throws PgError with jsonb's error otherwise.
int json_array_checked_length(std::string_view text);

// One element's text as jsonb (jsonb's input; throws PgError on bad JSON).
Datum jsonb_from_text(std::string_view text);

// Record i (from 0) of a chunk's payloads (a text datum as stored, maybe
// toasted) as jsonb, or SQL NULL (a null Datum pointer) when there is no
// record i. The chunk's text and where its records start are kept in
// fn_extra between calls, so a query reading a chunk's records one by one
// reads and cuts the chunk once: it is the same chunk when it is the same
// stored value (the same TOAST value id) or, kept in line, the same bytes.
Datum landing_record(FunctionCallInfo fcinfo, Datum payloads, int32_t i);

}  // namespace pulse::pg
