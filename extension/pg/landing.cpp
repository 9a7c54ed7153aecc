// The text of landing chunks (landing.h). The check runs PostgreSQL's own
// JSON parser (the one jsonb's input runs) with callbacks that count the
// array's elements and check what jsonb would refuse beyond the grammar;
// it builds no jsonb.
#include <cstring>

#include "core/error.h"
#include "core/json_array_text.h"
#include "core/json_record.h"
#include "pg/guard.h"
#include "pg/landing.h"
#include "pg/text.h"

extern "C" {
#include "access/detoast.h"
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
  // simdjson vouches for most chunks at a fraction of the parser's cost (it
  // copies every string byte by byte when it unescapes); what it cannot
  // vouch for, the parser decides, with jsonb's errors (core/json_record.h).
  if (database_is_utf8()) {
    static json::Record reader;
    if (auto n = reader.array_length(text)) {
      if (*n > INT32_MAX) throw Error(sqlstate::kProgramLimitExceeded, "a landing chunk holds too many records");
      return static_cast<int>(*n);
    }
  }
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

namespace {

// The chunk last read at a call site, in fn_mcxt (plain memory: no C++
// object lives there, so nothing needs a destructor when the context goes).
struct ChunkCache {
  Oid toast_rel;       // an out-of-line value: its TOAST relation and value id
  Oid toast_value;
  char* raw;           // a value kept in line: its bytes as stored
  std::size_t raw_len;
  char* text;          // the chunk's text
  std::size_t text_len;
  Span* spans;         // where its records are
  std::size_t n;
};

void free_cached(ChunkCache* c) {
  if (c->raw != nullptr) pfree(c->raw);
  if (c->text != nullptr) pfree(c->text);
  if (c->spans != nullptr) pfree(c->spans);
  std::memset(c, 0, sizeof *c);
}

bool same_chunk(const ChunkCache* c, const varlena* v) {
  if (c->text == nullptr) return false;
  if (VARATT_IS_EXTERNAL_ONDISK(v)) {
    varatt_external ext;
    VARATT_EXTERNAL_GET_POINTER(ext, v);
    return c->raw == nullptr && ext.va_toastrelid == c->toast_rel && ext.va_valueid == c->toast_value;
  }
  std::size_t len = VARSIZE_ANY(v);
  return c->raw != nullptr && c->raw_len == len && std::memcmp(c->raw, v, len) == 0;
}

}  // namespace

Datum landing_record(FunctionCallInfo fcinfo, Datum payloads, int32_t i) {
  FmgrInfo* flinfo = fcinfo->flinfo;
  auto* cache = static_cast<ChunkCache*>(flinfo->fn_extra);
  if (cache == nullptr) {
    cache = static_cast<ChunkCache*>(pg_guard([&] { return MemoryContextAllocZero(flinfo->fn_mcxt, sizeof(ChunkCache)); }));
    flinfo->fn_extra = cache;
  }
  auto* v = reinterpret_cast<varlena*>(DatumGetPointer(payloads));
  if (!same_chunk(cache, v)) {
    free_cached(cache);
    std::string_view text = text_view(payloads);
    auto spans = json_array_spans(text);
    if (!spans)
      throw Error(sqlstate::kInvalidTextRepresentation, "invalid input syntax for type json",
                  "The payloads of a landing chunk are not a JSON array.");
    pg_guard([&] {
      MemoryContext old = MemoryContextSwitchTo(flinfo->fn_mcxt);
      if (VARATT_IS_EXTERNAL_ONDISK(v)) {
        varatt_external ext;
        VARATT_EXTERNAL_GET_POINTER(ext, v);
        cache->toast_rel = ext.va_toastrelid;
        cache->toast_value = ext.va_valueid;
      } else {
        cache->raw_len = VARSIZE_ANY(v);
        cache->raw = static_cast<char*>(palloc(cache->raw_len));
        std::memcpy(cache->raw, v, cache->raw_len);
      }
      cache->text = static_cast<char*>(palloc(text.size() + 1));
      std::memcpy(cache->text, text.data(), text.size());
      cache->text_len = text.size();
      cache->spans = static_cast<Span*>(palloc(sizeof(Span) * (spans->size() + 1)));
      MemoryContextSwitchTo(old);
    });
    if (!spans->empty()) std::memcpy(cache->spans, spans->data(), sizeof(Span) * spans->size());
    cache->n = spans->size();
  }
  if (i < 0 || static_cast<std::size_t>(i) >= cache->n) return static_cast<Datum>(0);
  const Span& s = cache->spans[i];
  return jsonb_from_text(std::string_view(cache->text + s.begin, s.end - s.begin));
}

}  // namespace pulse::pg
