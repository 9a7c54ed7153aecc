// The tweet projections' rows (tweet_rows.h), written once over two readers
// of a record's JSON, which give the same values:
// - JsonbReader reads a parsed jsonb in place with PostgreSQL's jsonb API (a
//   binary search per key), as the SQL operators did, minus an executor per
//   item;
// - TextReader reads the record's text with simdjson (core/json_record.h),
//   for the batches' staging over landing chunks: parsing every record into
//   jsonb first cost more than the rest of the projection (issue 17). What
//   it cannot give as jsonb would (a number that is not an integer read as
//   text, a container printed as JSON, the item's own jsonb for a reject)
//   throws UseJsonb, and the record is projected again from its jsonb.
// Each accessor mirrors the SQL operator it replaces, so the rows stay the
// same:
//   get(v, k)        v -> 'k'    (NULL unless v is an object holding k)
//   arrow_text(v)    v ->> ...   (a string's text, a number or boolean as
//                                 printed, a container as JSON, NULL for null)
//   type_of(v)       jsonb_typeof(v)
//   exists(v, k)     v ? 'k'
//   elements(v)      jsonb_array_elements(tweet_array(v))
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/json_array_text.h"
#include "core/json_record.h"
#include "core/tweet_fields.h"
#include "core/tweet_rows.h"
#include "core/tweet_time.h"
#include "pg/guard.h"
#include "pg/interrupts.h"
#include "pg/landing.h"
#include "pg/text.h"
#include "pg/tweet_rows.h"

extern "C" {
#include "catalog/pg_collation.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"
}

namespace pulse::pg {
namespace {

using tweet::ItemFacts;
using tweet::Wording;

std::string numeric_text(const JsonbValue& v) {
  char* s = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))); });
  return std::string(s);
}

// The jsonb text of a container.
std::string container_text(const JsonbValue& v) {
  char* s = pg_guard([&] { return JsonbToCString(nullptr, v.val.binary.data, v.val.binary.len); });
  return std::string(s);
}

// A value inside a parsed jsonb payload, or SQL NULL (nullopt). Containers
// are jbvBinary values pointing into the payload; scalars are jbvString,
// jbvNumeric, jbvBool, jbvNull (strings and numbers point into it too).
struct JsonbReader {
  using Val = std::optional<JsonbValue>;

  bool is_object(const Val& v) const {
    return v && v->type == jbvBinary && JsonContainerIsObject(v->val.binary.data);
  }
  bool is_array(const Val& v) const { return v && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data); }
  bool is_null(const Val& v) const { return v && v->type == jbvNull; }

  // jsonb_typeof; "" for SQL NULL.
  std::string_view type_of(const Val& v) const {
    if (!v) return "";
    switch (v->type) {
      case jbvBinary:
        return JsonContainerIsObject(v->val.binary.data) ? "object" : "array";
      case jbvString:
        return "string";
      case jbvNumeric:
        return "number";
      case jbvBool:
        return "boolean";
      case jbvNull:
        return "null";
      default:
        throw Error(sqlstate::kInternalError, "unexpected jsonb value type in a tweet");
    }
  }

  // v -> 'key'. getKeyJsonValueFromContainer neither allocates nor raises
  // errors (a binary search over the object's keys filling *out), so it runs
  // without a guard: it is the call made most often.
  Val get(const Val& v, std::string_view key) const {
    if (!is_object(v)) return std::nullopt;
    JsonbValue out;
    if (getKeyJsonValueFromContainer(v->val.binary.data, key.data(), static_cast<int>(key.size()), &out) == nullptr)
      return std::nullopt;
    return out;
  }

  // A JSON string's text.
  std::optional<std::string_view> string(const Val& v) const {
    if (!v || v->type != jbvString) return std::nullopt;
    return std::string_view(v->val.string.val, static_cast<std::size_t>(v->val.string.len));
  }

  // A JSON number as numeric_out prints it.
  std::optional<std::string> number(const Val& v) const {
    if (!v || v->type != jbvNumeric) return std::nullopt;
    return numeric_text(*v);
  }

  // v ->> (the operator's result for the value found).
  std::optional<std::string> arrow_text(const Val& v) const {
    if (!v) return std::nullopt;
    switch (v->type) {
      case jbvString:
        return std::string(v->val.string.val, static_cast<std::size_t>(v->val.string.len));
      case jbvNumeric:
        return numeric_text(*v);
      case jbvBool:
        return std::string(v->val.boolean ? "true" : "false");
      case jbvBinary:
        return container_text(*v);
      default:
        return std::nullopt;  // JSON null
    }
  }

  // How format('%s', v) prints a jsonb value.
  std::string json_text(const Val& v) const {
    if (!v) return std::string();
    if (v->type == jbvBinary) return container_text(*v);
    JsonbValue copy = *v;
    Jsonb* jb = pg_guard([&] { return JsonbValueToJsonb(&copy); });
    char* s = pg_guard([&] { return JsonbToCString(nullptr, &jb->root, static_cast<int>(VARSIZE(jb))); });
    return std::string(s);
  }

  // v ? 'key': an object's key, or a string element of an array (a scalar is
  // an array of itself to this operator).
  std::optional<bool> exists(const Val& v, std::string_view key) const {
    if (!v) return std::nullopt;
    if (is_object(v)) return get(v, key).has_value();
    if (v->type == jbvString)
      return std::string_view(v->val.string.val, static_cast<std::size_t>(v->val.string.len)) == key;
    if (!is_array(v)) return false;
    JsonbValue k;
    k.type = jbvString;
    k.val.string.val = const_cast<char*>(key.data());
    k.val.string.len = static_cast<int>(key.size());
    JsonbValue* found = pg_guard([&] { return findJsonbValueFromContainer(v->val.binary.data, JB_FARRAY, &k); });
    return found != nullptr;
  }

  // Calls fn(element) for each element of v when it is an array (tweet_array:
  // anything else has none) until fn returns false.
  template <typename Fn>
  void for_each_element(const Val& v, Fn&& fn) const {
    if (!is_array(v)) return;
    JsonbIterator* it = pg_guard([&] { return JsonbIteratorInit(v->val.binary.data); });
    JsonbValue e;
    for (long i = 0;; ++i) {
      if (i % 4096 == 0) check_for_interrupts();  // an array may hold millions of elements
      JsonbIteratorToken tok = pg_guard([&] { return JsonbIteratorNext(&it, &e, true); });
      if (tok == WJB_DONE) return;
      if (tok != WJB_ELEM) continue;
      if (!fn(Val(e))) {
        // Leaves the rest unread; the iterator's memory goes with the call's context.
        return;
      }
    }
  }

  // The key of an object with exactly one key, else nullopt.
  std::optional<std::string> lone_key(const Val& v) const {
    if (!is_object(v) || JsonContainerSize(v->val.binary.data) != 1) return std::nullopt;
    JsonbIterator* it = pg_guard([&] { return JsonbIteratorInit(v->val.binary.data); });
    JsonbValue k;
    JsonbIteratorToken tok;
    do {
      tok = pg_guard([&] { return JsonbIteratorNext(&it, &k, true); });
    } while (tok != WJB_KEY && tok != WJB_DONE);
    return tok == WJB_KEY ? std::string(k.val.string.val, static_cast<std::size_t>(k.val.string.len)) : "";
  }

  // The item's own jsonb (the payload when the item is the payload).
  Datum item_jsonb(const Val& tweet, bool tweet_is_payload, Datum payload) const {
    if (!tweet || tweet_is_payload) return payload;
    JsonbValue copy = *tweet;
    return PointerGetDatum(pg_guard([&] { return JsonbValueToJsonb(&copy); }));
  }
};

// What TextReader cannot give as jsonb would: the record is read as jsonb.
struct UseJsonb {};

// A value of the record TextReader's Record parsed last, or SQL NULL.
struct TextReader {
  using Val = std::optional<json::Record::Node>;
  json::Record& rec;

  static Val val(json::Record::Node n) { return n == json::Record::kNone ? Val() : Val(n); }
  json::Kind kind(const Val& v) const { return rec.kind(*v); }

  bool is_object(const Val& v) const { return v && kind(v) == json::Kind::kObject; }
  bool is_array(const Val& v) const { return v && kind(v) == json::Kind::kArray; }
  bool is_null(const Val& v) const { return v && kind(v) == json::Kind::kNull; }

  std::string_view type_of(const Val& v) const {
    if (!v) return "";
    switch (kind(v)) {
      case json::Kind::kObject:
        return "object";
      case json::Kind::kArray:
        return "array";
      case json::Kind::kString:
        return "string";
      case json::Kind::kInteger:
      case json::Kind::kOtherNumber:
        return "number";
      case json::Kind::kBoolean:
        return "boolean";
      case json::Kind::kNull:
        return "null";
    }
    return "null";
  }

  Val get(const Val& v, std::string_view key) const {
    if (!is_object(v)) return std::nullopt;
    return val(rec.get(*v, key));
  }

  std::optional<std::string_view> string(const Val& v) const {
    if (!v || kind(v) != json::Kind::kString) return std::nullopt;
    return rec.string(*v);
  }

  // numeric_out of an integer is its digits; of anything else, ask jsonb.
  std::optional<std::string> number(const Val& v) const {
    if (!v) return std::nullopt;
    json::Kind k = kind(v);
    if (k == json::Kind::kInteger) return rec.integer_text(*v);
    if (k == json::Kind::kOtherNumber) throw UseJsonb{};
    return std::nullopt;
  }

  std::optional<std::string> arrow_text(const Val& v) const {
    if (!v) return std::nullopt;
    switch (kind(v)) {
      case json::Kind::kString:
        return std::string(rec.string(*v));
      case json::Kind::kInteger:
      case json::Kind::kOtherNumber:
        return number(v);
      case json::Kind::kBoolean:
        return std::string(rec.boolean(*v) ? "true" : "false");
      case json::Kind::kNull:
        return std::nullopt;
      default:
        throw UseJsonb{};  // a container printed as jsonb prints it
    }
  }

  std::string json_text(const Val&) const { throw UseJsonb{}; }

  std::optional<bool> exists(const Val& v, std::string_view key) const {
    if (!v) return std::nullopt;
    if (is_object(v)) return get(v, key).has_value();
    if (kind(v) == json::Kind::kString) return rec.string(*v) == key;
    if (!is_array(v)) return false;
    for (json::Record::Node e : rec.elements(*v)) {
      if (rec.kind(e) == json::Kind::kString && rec.string(e) == key) return true;
    }
    return false;
  }

  template <typename Fn>
  void for_each_element(const Val& v, Fn&& fn) const {
    if (!is_array(v)) return;
    long i = 0;
    for (json::Record::Node e : rec.elements(*v)) {
      if (++i % 4096 == 0) check_for_interrupts();
      if (!fn(Val(e))) return;
    }
  }

  std::optional<std::string> lone_key(const Val& v) const {
    if (!is_object(v) || rec.distinct_keys(*v) != 1) return std::nullopt;
    return std::string(rec.first_key(*v));
  }

  Datum item_jsonb(const Val&, bool, Datum) const { throw UseJsonb{}; }
};

// nullif(v, 'null')
template <class R>
typename R::Val not_json_null(const R& r, typename R::Val v) {
  if (r.is_null(v)) return std::nullopt;
  return v;
}

// tweet_bigint / tweet_count: a JSON string or number holding a plain
// non-negative decimal integer no larger than max.
template <class R>
std::optional<int64_t> json_integer(const R& r, const typename R::Val& v, int64_t max) {
  if (auto s = r.string(v)) return parse_decimal(*s, max);
  if (auto n = r.number(v)) return parse_decimal(*n, max);
  return std::nullopt;
}
template <class R>
std::optional<int64_t> json_bigint(const R& r, const typename R::Val& v) {
  return json_integer(r, v, INT64_MAX);
}
template <class R>
std::optional<int32_t> json_count(const R& r, const typename R::Val& v) {
  auto n = json_integer(r, v, INT32_MAX);
  if (!n) return std::nullopt;
  return static_cast<int32_t>(*n);
}

// tweet_time(v ->> 'created_at')
template <class R>
std::optional<int64_t> json_time(const R& r, const typename R::Val& v) {
  if (!v) return std::nullopt;
  std::optional<int64_t> unix_micros;
  if (auto s = r.string(v)) {
    unix_micros = parse_tweet_time(*s);
  } else {
    auto t = r.arrow_text(v);
    if (t) unix_micros = parse_tweet_time(*t);
  }
  if (!unix_micros) return std::nullopt;
  return tweet::from_unix_micros(*unix_micros);
}

// tweet_stated_time(v, false): a string in either created_at spelling.
template <class R>
std::optional<int64_t> stated_time(const R& r, const typename R::Val& v) {
  if (!r.string(v)) return std::nullopt;
  return json_time(r, v);
}

// json_epoch_ms(v)
template <class R>
std::optional<int64_t> epoch_ms(const R& r, const typename R::Val& v) {
  if (auto n = r.number(v)) return tweet::epoch_ms_number(*n);
  if (auto s = r.string(v)) return tweet::epoch_ms_string(*s);
  return std::nullopt;
}

template <class R>
std::optional<std::string> first_text(const R& r, std::initializer_list<typename R::Val> vs) {
  for (const typename R::Val& v : vs) {
    auto s = r.arrow_text(v);
    if (s) return s;
  }
  return std::nullopt;
}

// coalesce over JSON values (a JSON null is a value).
template <class Val>
Val first_val(const Val& a, const Val& b) {
  return a ? a : b;
}

bool is_lower_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80 || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

// tweet_tags(tweet_array(a) || tweet_array(b), field, sigils)
template <class R>
std::vector<std::string> tags(const R& r, const typename R::Val& a, const typename R::Val& b, std::string_view field,
                              std::string_view sigils) {
  std::vector<std::string> out;
  auto take = [&](const typename R::Val& e) {
    if (auto f = r.string(r.get(e, field))) {
      std::string_view tag = strip_sigils(*f, sigils);
      // lower() leaves text without capitals or non-ASCII characters as it is
      // in every locale; the rest goes through the database's collation.
      if (!tag.empty()) out.push_back(is_lower_ascii(tag) ? std::string(tag) : lower(tag));
    }
    return true;
  };
  r.for_each_element(a, take);
  r.for_each_element(b, take);
  return dedupe_in_order(std::move(out));
}

// The rules array (tweet_rules): each object's tag, else its id, distinct,
// in the order of the database's default collation; NULL unless an array.
template <class R>
std::optional<std::vector<std::string>> rules(const R& r, const typename R::Val& list) {
  if (!r.is_array(list)) return std::nullopt;
  std::vector<std::string> found;
  r.for_each_element(list, [&](const typename R::Val& x) {
    if (!r.is_object(x)) return true;
    auto tag = r.arrow_text(r.get(x, "tag"));
    if (!tag || tag->empty()) tag = r.arrow_text(r.get(x, "id"));
    if (tag) found.push_back(std::move(*tag));
    return true;
  });
  if (found.size() < 2) return found;
  // ORDER BY on text: varstr_cmp with the default collation (which can raise
  // errors, so the sort runs inside one guard: it sorts plain indexes and
  // holds nothing with a destructor).
  std::vector<int> order(found.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  const std::string* items = found.data();
  int* first = order.data();
  int* last = first + order.size();
  pg_guard([&] {
    std::sort(first, last, [items](int x, int y) {
      const std::string& a = items[x];
      const std::string& b = items[y];
      return varstr_cmp(a.data(), static_cast<int>(a.size()), b.data(), static_cast<int>(b.size()),
                        DEFAULT_COLLATION_OID) < 0;
    });
  });
  std::vector<std::string> out;
  out.reserve(found.size());
  for (int i : order) {
    // DISTINCT: equal under a deterministic collation means equal bytes.
    if (!out.empty() && out.back() == found[static_cast<std::size_t>(i)]) continue;
    out.push_back(found[static_cast<std::size_t>(i)]);
  }
  return out;
}

// One staged row (pulse_tweet_stage's columns but seq).
struct StageRow {
  int64_t ord = 0;
  int64_t observed_at = 0;
  std::optional<std::string> problem;
  std::optional<Datum> raw;
  std::optional<std::string> note;
  std::optional<int64_t> id, created_at, author_id;
  std::optional<std::string> text, lang;
  std::optional<std::vector<std::string>> hashtags, cashtags, mentions;
  std::optional<bool> is_retweet;
  std::optional<int64_t> retweeted_id;
  std::optional<int32_t> retweet_count, like_count, reply_count, quote_count;
  std::optional<std::vector<std::string>> matched_rules;
};

Cell text_cell(const std::optional<std::string>& s) { return s ? Cell::text(*s) : Cell::null(); }
Cell int8_cell(const std::optional<int64_t>& v) { return v ? Cell::int8(*v) : Cell::null(); }
Cell int4_cell(const std::optional<int32_t>& v) { return v ? Cell::int4(*v) : Cell::null(); }
Cell ts_cell(const std::optional<int64_t>& v) { return v ? Cell::timestamptz(*v) : Cell::null(); }
Cell array_cell(const std::optional<std::vector<std::string>>& v) {
  return v ? Cell{text_array_datum(*v), false} : Cell::null();
}
Cell bool_cell(const std::optional<bool>& v) { return v ? Cell{BoolGetDatum(*v), false} : Cell::null(); }

void put(MaterializedRows& out, int32_t seq, const StageRow& r) {
  out.put({Cell::int4(seq), Cell::int8(r.ord), Cell::timestamptz(r.observed_at), text_cell(r.problem),
           r.raw ? Cell{*r.raw, false} : Cell::null(), text_cell(r.note), int8_cell(r.id), ts_cell(r.created_at), int8_cell(r.author_id),
           text_cell(r.text), text_cell(r.lang), array_cell(r.hashtags), array_cell(r.cashtags),
           array_cell(r.mentions), bool_cell(r.is_retweet), int8_cell(r.retweeted_id), int4_cell(r.retweet_count),
           int4_cell(r.like_count), int4_cell(r.reply_count), int4_cell(r.quote_count),
           array_cell(r.matched_rules)});
}

// The payload as a value: its root container, or the scalar a raw scalar holds.
JsonbReader::Val root_value(Jsonb* jb) {
  JsonbValue v;
  if (JB_ROOT_IS_SCALAR(jb)) {
    bool ok = pg_guard([&] { return JsonbExtractScalar(&jb->root, &v); });
    if (!ok) throw Error(sqlstate::kInternalError, "unreadable scalar jsonb payload");
    return v;
  }
  v.type = jbvBinary;
  v.val.binary.data = &jb->root;
  v.val.binary.len = static_cast<int>(VARSIZE(jb) - VARHDRSZ);
  return v;
}

// One item of a record: a tweet (possibly not an object), or the record's
// problem when it holds none.
template <class Val>
struct Item {
  int64_t ord = 0;
  Val tweet;
  bool tweet_is_payload = false;
  Val includes;  // v2
  Val rules;     // v2: the record's matching_rules
  std::optional<std::string> problem;
};

// The "error object from the X API" reason: each error's two parts joined
// with ": " (concat_ws), the errors with "; " (string_agg).
template <class R>
std::string api_errors(const R& r, const typename R::Val& errors, const char* first_a, const char* first_b,
                       const char* second_a, const char* second_b) {
  std::optional<std::string> agg;
  r.for_each_element(errors, [&](const typename R::Val& e) {
    auto a = r.arrow_text(r.get(e, first_a));
    if (!a && first_b != nullptr) a = r.arrow_text(r.get(e, first_b));
    auto b = r.arrow_text(r.get(e, second_a));
    if (!b && second_b != nullptr) b = r.arrow_text(r.get(e, second_b));
    std::string one;
    if (a) one = *a;
    if (b) one += (a ? ": " : "") + *b;
    if (agg) {
      *agg += "; ";
      *agg += one;
    } else {
      agg = std::move(one);
    }
    return true;
  });
  return "error object from the X API: " + (agg ? *agg : std::string("(no details)"));
}

// twitter_v2_items
template <class R>
std::vector<Item<typename R::Val>> v2_items(const R& r, const typename R::Val& p) {
  using Val = typename R::Val;
  std::vector<Item<Val>> items;
  if (!r.is_object(p)) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v2 record: a JSON " + std::string(r.type_of(p)) + ", not an object"});
    return items;
  }
  Val data = r.get(p, "data");
  Val id = r.get(p, "id");
  if (r.is_object(data)) {
    items.push_back({0, data, false, r.get(p, "includes"), r.get(p, "matching_rules"), {}});
  } else if (r.is_array(data)) {
    Val includes = r.get(p, "includes");
    Val rules = r.get(p, "matching_rules");
    int64_t ord = 0;
    r.for_each_element(data, [&](const Val& e) {
      items.push_back({++ord, e, false, includes, rules, {}});
      return true;
    });
  } else if (data) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v2 record: \"data\" is a JSON " + std::string(r.type_of(data)) +
                                               ", not a tweet or an array of tweets"});
  } else if (id) {
    items.push_back({0, p, true, {}, r.get(p, "matching_rules"), {}});
  } else if (Val errors = r.get(p, "errors")) {
    items.push_back({0, {}, false, {}, {}, api_errors(r, errors, "title", "message", "detail", nullptr)});
  } else if (!r.get(p, "meta")) {
    items.push_back({0, {}, false, {}, {}, std::string("not a twitter_v2 record: none of the keys data, id, errors, meta")});
  }
  return items;
}

// twitter_v1_items
template <class R>
std::vector<Item<typename R::Val>> v1_items(const R& r, const typename R::Val& p) {
  using Val = typename R::Val;
  std::vector<Item<Val>> items;
  if (!r.is_object(p)) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v1 record: a JSON " + std::string(r.type_of(p)) + ", not an object"});
    return items;
  }
  if (r.get(p, "id_str") || r.get(p, "id")) {
    items.push_back({0, p, true, {}, {}, {}});
    return items;
  }
  Val statuses = r.get(p, "statuses");
  if (r.is_array(statuses)) {
    int64_t ord = 0;
    r.for_each_element(statuses, [&](const Val& e) {
      items.push_back({++ord, e, false, {}, {}, {}});
      return true;
    });
  } else if (Val errors = r.get(p, "errors")) {
    items.push_back({0, {}, false, {}, {}, api_errors(r, errors, "code", nullptr, "message", "title")});
  } else if (auto key = r.lone_key(p)) {
    // The one key of a stream notice (delete, limit, ...).
    items.push_back({0, {}, false, {}, {}, "not a status: a v1.1 stream notice \"" + *key + "\""});
  } else {
    items.push_back({0, {}, false, {}, {}, std::string("not a twitter_v1 record: no id_str, id or statuses key")});
  }
  return items;
}

const Wording kV2Words{"data", "tweet", "id"};
const Wording kV1Words{"statuses", "status", "id_str or id"};
constexpr std::string_view kHashSigils = "#\xEF\xBC\x83";  // '#' and the full-width '＃'

// The key, version, reject reason and note of an item, which both formats
// decide alike once they know its id, created_at and stated observation time.
template <class R>
void key_and_version(const R& r, const Item<typename R::Val>& item, const Wording& w, int32_t seq,
                     int64_t received_at, std::optional<int64_t> id, const typename R::Val& stated,
                     const char* stated_key, std::optional<int64_t> observed_at, StageRow& row) {
  const typename R::Val& t = item.tweet;
  typename R::Val created = r.get(t, "created_at");
  std::optional<int64_t> payload_time = json_time(r, created);
  std::optional<int64_t> id_time = id ? tweet::snowflake_time(*id) : std::nullopt;
  row.id = id;
  row.created_at = id_time ? id_time : payload_time;
  row.observed_at = observed_at ? *observed_at : received_at;
  if (item.problem) {
    row.problem = tweet::record_problem(seq, *item.problem);
  } else {
    ItemFacts f;
    f.seq = seq;
    f.ord = item.ord;
    f.type = r.type_of(t);
    f.id = id;
    f.has_created_at = created.has_value();
    f.payload_time = payload_time;
    f.created_at = row.created_at;
    f.stated = stated.has_value();
    f.stated_key = stated_key;
    f.observed_at = observed_at;
    f.received_at = received_at;
    row.problem =
        tweet::item_problem(f, w, [&] { return r.json_text(created); }, [&] { return r.json_text(stated); });
  }
  row.note = tweet::item_note(seq, item.ord, id, payload_time, id_time, w);
}

// The item's own JSON, for pulse.rejects: made only for a row that has a
// problem or a note here (RawFor::kNoted), or for every row (kEvery, which
// the batch asks for again when its SQL gives a row a problem or note later,
// such as retention's): a jsonb copy of every tweet of a stream line, kept
// in the staging table, cost a serialization and about 450 bytes per tweet.
template <class R>
std::optional<Datum> raw_datum(const R& r, const Item<typename R::Val>& item, Datum payload, const StageRow& row,
                               RawFor raw_for) {
  if (raw_for == RawFor::kNoted && !row.problem && !row.note) return std::nullopt;
  return r.item_jsonb(item.tweet, item.tweet_is_payload, payload);
}

// stage_twitter_v2's row for one item.
template <class R>
StageRow v2_row(const R& r, const Item<typename R::Val>& item, const typename R::Val& p, Datum payload,
                int64_t received_at, int32_t seq, RawFor raw_for) {
  using Val = typename R::Val;
  StageRow row;
  const Val& t = item.tweet;
  row.ord = item.ord;
  // twarc's metadata: on each flattened tweet, else on the response.
  Val stated = not_json_null(r, r.get(r.get(t, "__twarc"), "retrieved_at"));
  if (!stated) stated = not_json_null(r, r.get(r.get(p, "__twarc"), "retrieved_at"));
  key_and_version(r, item, kV2Words, seq, received_at, json_bigint(r, r.get(t, "id")), stated, "__twarc.retrieved_at",
                  stated_time(r, stated), row);
  row.raw = raw_datum(r, item, payload, row, raw_for);
  row.author_id = json_bigint(r, r.get(t, "author_id"));
  row.lang = r.arrow_text(r.get(t, "lang"));

  // A retweet: the first referenced tweet of type retweeted.
  std::optional<int64_t> rt_id;
  r.for_each_element(r.get(t, "referenced_tweets"), [&](const Val& rt) {
    auto type = r.arrow_text(r.get(rt, "type"));
    if (!type || *type != "retweeted") return true;
    rt_id = json_bigint(r, r.get(rt, "id"));
    return false;
  });
  auto refs = r.exists(t, "referenced_tweets");
  if (refs) row.is_retweet = *refs ? std::optional<bool>(rt_id.has_value()) : std::nullopt;
  row.retweeted_id = rt_id;

  // A retweet's own text is cut at 140 characters; the original, when the
  // page carries it as an expansion, gives the full text and entities.
  Val orig;
  std::optional<std::string> orig_user;
  if (rt_id) {
    r.for_each_element(r.get(item.includes, "tweets"), [&](const Val& o) {
      if (json_bigint(r, r.get(o, "id")) != rt_id) return true;
      orig = o;
      return false;
    });
  }
  if (orig) {
    auto author = r.arrow_text(r.get(orig, "author_id"));
    if (author) {
      r.for_each_element(r.get(item.includes, "users"), [&](const Val& u) {
        auto uid = r.arrow_text(r.get(u, "id"));
        if (!uid || *uid != *author) return true;
        orig_user = r.arrow_text(r.get(u, "username"));
        return false;
      });
    }
  }
  if (orig_user) {
    auto body = first_text(r, {r.get(r.get(orig, "note_tweet"), "text"), r.get(orig, "text")});
    if (body) row.text = "RT @" + *orig_user + ": " + *body;
  } else {
    row.text = first_text(r, {r.get(r.get(t, "note_tweet"), "text"), r.get(t, "text")});
  }

  Val own = r.get(t, "entities");
  if (r.is_object(own)) {
    Val orig_ents = r.get(orig, "entities");
    row.hashtags = tags(r, r.get(own, "hashtags"), r.get(orig_ents, "hashtags"), "tag", kHashSigils);
    row.cashtags = tags(r, r.get(own, "cashtags"), r.get(orig_ents, "cashtags"), "tag", "$");
    row.mentions = tags(r, r.get(own, "mentions"), r.get(orig_ents, "mentions"), "username", "@");
  }
  Val metrics = r.get(t, "public_metrics");
  row.retweet_count = json_count(r, r.get(metrics, "retweet_count"));
  row.like_count = json_count(r, r.get(metrics, "like_count"));
  row.reply_count = json_count(r, r.get(metrics, "reply_count"));
  row.quote_count = json_count(r, r.get(metrics, "quote_count"));
  row.matched_rules = rules(r, item.rules);
  return row;
}

// stage_twitter_v1's row for one item.
template <class R>
StageRow v1_row(const R& r, const Item<typename R::Val>& item, const typename R::Val& p, Datum payload,
                int64_t received_at, int32_t seq, RawFor raw_for) {
  using Val = typename R::Val;
  StageRow row;
  const Val& t = item.tweet;
  row.ord = item.ord;
  std::optional<int64_t> id = json_bigint(r, r.get(t, "id_str"));
  if (!id) id = json_bigint(r, r.get(t, "id"));
  // twarc's metadata (on the status, else on the response), else the time
  // the streaming API delivered the status.
  Val twarc = not_json_null(r, r.get(r.get(t, "__twarc"), "retrieved_at"));
  if (!twarc) twarc = not_json_null(r, r.get(r.get(p, "__twarc"), "retrieved_at"));
  Val stated = twarc ? twarc : not_json_null(r, r.get(t, "timestamp_ms"));
  const bool epoch = !twarc;
  key_and_version(r, item, kV1Words, seq, received_at, id, stated, epoch ? "timestamp_ms" : "__twarc.retrieved_at",
                  epoch ? epoch_ms(r, stated) : stated_time(r, stated), row);
  row.raw = raw_datum(r, item, payload, row, raw_for);
  Val user = r.get(t, "user");
  row.author_id = json_bigint(r, r.get(user, "id_str"));
  if (!row.author_id) row.author_id = json_bigint(r, r.get(user, "id"));
  row.lang = r.arrow_text(r.get(t, "lang"));

  Val rs = r.get(t, "retweeted_status");
  if (!r.is_object(rs)) rs.reset();
  auto screen_name = r.arrow_text(r.get(r.get(rs, "user"), "screen_name"));
  if (rs && screen_name) {
    auto body = first_text(r, {r.get(r.get(rs, "extended_tweet"), "full_text"), r.get(rs, "full_text"),
                               r.get(rs, "text")});
    if (body) row.text = "RT @" + *screen_name + ": " + *body;
  } else {
    row.text = first_text(r, {r.get(r.get(t, "extended_tweet"), "full_text"), r.get(t, "full_text"), r.get(t, "text")});
  }
  // Entities of the full text: extended_tweet's when the status was cut.
  Val own = first_val(r.get(r.get(t, "extended_tweet"), "entities"), r.get(t, "entities"));
  if (r.is_object(own)) {
    Val orig = first_val(r.get(r.get(rs, "extended_tweet"), "entities"), r.get(rs, "entities"));
    row.hashtags = tags(r, r.get(own, "hashtags"), r.get(orig, "hashtags"), "text", kHashSigils);
    row.cashtags = tags(r, r.get(own, "symbols"), r.get(orig, "symbols"), "text", "$");
    row.mentions = tags(r, r.get(own, "user_mentions"), r.get(orig, "user_mentions"), "screen_name", "@");
  }
  // A v1.1 status always carries retweeted_status when it is a retweet.
  row.is_retweet = rs.has_value();
  row.retweeted_id = json_bigint(r, r.get(rs, "id_str"));
  if (!row.retweeted_id) row.retweeted_id = json_bigint(r, r.get(rs, "id"));
  row.retweet_count = json_count(r, r.get(t, "retweet_count"));
  row.like_count = json_count(r, r.get(t, "favorite_count"));
  row.reply_count = json_count(r, r.get(t, "reply_count"));
  row.quote_count = json_count(r, r.get(t, "quote_count"));
  row.matched_rules = rules(r, r.get(t, "matching_rules"));
  return row;
}

// The rows of one record, every item's before any is put.
template <class R>
std::vector<StageRow> record_rows(const R& r, TweetFormat format, const typename R::Val& p, Datum payload,
                                  int64_t received_at, int32_t seq, RawFor raw_for) {
  std::vector<StageRow> rows;
  if (format == TweetFormat::kV2) {
    for (const auto& item : v2_items(r, p)) rows.push_back(v2_row(r, item, p, payload, received_at, seq, raw_for));
  } else {
    for (const auto& item : v1_items(r, p)) rows.push_back(v1_row(r, item, p, payload, received_at, seq, raw_for));
  }
  return rows;
}

std::vector<StageRow> jsonb_rows(TweetFormat format, Datum payload, int64_t received_at, int32_t seq,
                                 RawFor raw_for) {
  Jsonb* jb = static_cast<Jsonb*>(pg_guard([&] { return static_cast<void*>(DatumGetJsonbP(payload)); }));
  return record_rows(JsonbReader{}, format, root_value(jb), PointerGetDatum(jb), received_at, seq, raw_for);
}

// The rows of a record read from its text, or nullopt when the record must
// be read as jsonb: the reader refused it, or a row needs what only jsonb
// gives (see UseJsonb), or has a problem or a note (its raw is the item's
// jsonb, and the rare reject is not worth a second way of wording it).
std::optional<std::vector<StageRow>> text_rows(json::Record& rec, TweetFormat format, std::string_view text,
                                               int64_t received_at, int32_t seq) {
  if (!rec.parse(text)) return std::nullopt;
  try {
    TextReader r{rec};
    std::vector<StageRow> rows =
        record_rows(r, format, TextReader::Val(rec.root()), static_cast<Datum>(0), received_at, seq, RawFor::kNoted);
    for (const StageRow& row : rows) {
      if (row.problem || row.note) return std::nullopt;
    }
    return rows;
  } catch (const UseJsonb&) {
    return std::nullopt;
  }
}

}  // namespace

void tweet_stage_rows(TweetFormat format, Datum payload, int64_t received_at, int32_t seq, RawFor raw_for,
                      MaterializedRows& out) {
  for (const StageRow& row : jsonb_rows(format, payload, received_at, seq, raw_for)) put(out, seq, row);
}

void tweet_chunk_rows(TweetFormat format, std::string_view chunk, int64_t received_at, int32_t first_seq,
                      MaterializedRows& out) {
  auto spans = json_array_spans(chunk);
  if (!spans)
    throw Error(sqlstate::kInvalidTextRepresentation, "invalid input syntax for type json",
                "The payloads of a landing chunk are not a JSON array.");
  // One reader per backend: its buffers are reused from call to call. Its
  // strings are UTF-8, so another database encoding reads jsonb only.
  static json::Record rec;
  const bool utf8 = database_is_utf8();
  for (std::size_t k = 0; k < spans->size(); ++k) {
    if (k % 256 == 255) check_for_interrupts();
    int64_t seq64 = static_cast<int64_t>(first_seq) + static_cast<int64_t>(k);
    if (seq64 > INT32_MAX) throw Error(sqlstate::kNumericValueOutOfRange, "integer out of range");
    const int32_t seq = static_cast<int32_t>(seq64);
    const Span& s = (*spans)[k];
    std::string_view text = chunk.substr(s.begin, s.end - s.begin);
    std::optional<std::vector<StageRow>> rows;
    if (utf8) rows = text_rows(rec, format, text, received_at, seq);
    if (rows) {
      for (const StageRow& row : *rows) put(out, seq, row);
      continue;
    }
    Datum payload = jsonb_from_text(text);
    for (const StageRow& row : jsonb_rows(format, payload, received_at, seq, RawFor::kNoted)) put(out, seq, row);
    pg_guard([&] { pfree(DatumGetPointer(payload)); });
  }
}

}  // namespace pulse::pg
