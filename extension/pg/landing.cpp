// The text of landing chunks (landing.h). The check runs PostgreSQL's own
// JSON parser (the one jsonb's input runs) with callbacks that count the
// array's elements and check what jsonb would refuse beyond the grammar;
// it builds no jsonb.
#include <cstring>

#include "core/error.h"
#include "core/json_array_text.h"
#include "pg/guard.h"
#include "pg/landing.h"

extern "C" {
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/jsonfuncs.h"
#include "utils/numeric.h"
}

namespace pulse::pg {
namespace {

struct CountState {
  JsonLexContext* lex;
  int count;
};

// The callbacks run inside pg_parse_json, itself inside pg_guard: they hold
// no C++ object, and an ereport from them unwinds to pg_guard's PG_TRY.
void count_element(void* state, bool /*isnull*/) {
  auto* s = static_cast<CountState*>(state);
  if (s->lex->lex_level == 1) ++s->count;
}

void check_length(std::size_t len) {
  // what jsonb's input refuses (checkStringLen in jsonb.c)
  if (len > JENTRY_OFFLENMASK)
    ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED), errmsg("string too long to represent as jsonb string"),
                    errdetail("Due to an implementation restriction, jsonb strings cannot exceed %d bytes.",
                              JENTRY_OFFLENMASK)));
}

void check_key(void* /*state*/, char* fname, bool /*isnull*/) {
  check_length(std::strlen(fname));
  pfree(fname);
}

void check_scalar(void* /*state*/, char* token, JsonTokenType type) {
  std::size_t len = std::strlen(token);
  if (type == JSON_TOKEN_STRING) {
    check_length(len);
  } else if (type == JSON_TOKEN_NUMBER && (std::strpbrk(token, "eE") != nullptr || len > 1000)) {
    // a number the grammar takes may still be outside numeric's range,
    // which only an exponent or a thousand digits can reach
    DirectFunctionCall3(numeric_in, CStringGetDatum(token), ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
  }
  pfree(token);
}

}  // namespace

int json_array_checked_length(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  bool array = i < text.size() && text[i] == '[';
  // Strings and keys cannot outgrow jsonb in a text shorter than its limit,
  // and numbers need numeric's own check only where they might be wide:
  // otherwise the parser runs without the callbacks that copy each value.
  bool check_values = text.size() > JENTRY_OFFLENMASK || json_may_hold_wide_numbers(text);
  CountState state{nullptr, 0};
  pg_guard([&] {
    JsonLexContext* lex =
        makeJsonLexContextCstringLen(const_cast<char*>(text.data()), static_cast<int>(text.size()), GetDatabaseEncoding(), true);
    state.lex = lex;
    JsonSemAction sem;
    std::memset(&sem, 0, sizeof sem);
    sem.semstate = &state;
    sem.array_element_start = count_element;
    if (check_values) {
      sem.object_field_start = check_key;
      sem.scalar = check_scalar;
    }
    pg_parse_json_or_ereport(lex, &sem);
  });
  return array ? state.count : -1;
}

Datum jsonb_from_text(std::string_view text) {
  return pg_guard([&] {
    char* s = pnstrdup(text.data(), text.size());
    Datum d = DirectFunctionCall1(jsonb_in, CStringGetDatum(s));
    pfree(s);
    return d;
  });
}

}  // namespace pulse::pg
