// What PostgreSQL's jsonb input refuses in otherwise valid JSON, found before
// a record is COPYed into pulse.landing (one refused row would fail the whole
// COPY, and so the batch): the escape \u0000, lone UTF-16 surrogate escapes,
// and numbers beyond numeric's range. Text escapes are cleaned (the record is
// kept, the cleaning noted); an out-of-range number rejects the record.
#pragma once

#include <string>
#include <string_view>

namespace pulse::load {

struct JsonbPrep {
  bool changed = false;  // `text` differs from the input
  std::string text;      // the cleaned record when changed
  std::string note;      // what the cleaning did, for pulse.rejects
  std::string reject;    // non-empty: the record cannot be stored
};

// Scans JSON text (valid or not; grammar is checked elsewhere). Removes each
// \u0000 escape, replaces each unpaired surrogate escape with \ufffd, and
// rejects numbers that numeric cannot hold (more than 131072 digits before
// the decimal point or 16383 after it).
JsonbPrep prepare_for_jsonb(std::string_view json);

}  // namespace pulse::load
