// The tweet projections' rows (tweet_rows.h). Written against PostgreSQL's
// jsonb API rather than a JSON library: the payload is already a parsed
// jsonb, and reading it in place (a binary search per key) is what the SQL
// operators did too, minus an executor per item. Each accessor mirrors the SQL
// operator it replaces, so the rows stay the same:
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
#include "core/tweet_fields.h"
#include "core/tweet_rows.h"
#include "core/tweet_time.h"
#include "pg/guard.h"
#include "pg/interrupts.h"
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

// A JSON value inside the payload, or SQL NULL (nullopt). Containers are
// jbvBinary values pointing into the payload; scalars are jbvString,
// jbvNumeric, jbvBool, jbvNull (strings and numbers point into it too).
using Val = std::optional<JsonbValue>;

bool is_container(const Val& v) { return v && v->type == jbvBinary; }
bool is_object(const Val& v) { return is_container(v) && JsonContainerIsObject(v->val.binary.data); }
bool is_array(const Val& v) { return is_container(v) && JsonContainerIsArray(v->val.binary.data); }

// jsonb_typeof; "" for SQL NULL.
std::string_view type_of(const Val& v) {
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
Val get(const Val& v, std::string_view key) {
  if (!is_object(v)) return std::nullopt;
  JsonbValue out;
  if (getKeyJsonValueFromContainer(v->val.binary.data, key.data(), static_cast<int>(key.size()), &out) == nullptr)
    return std::nullopt;
  return out;
}

// nullif(v, 'null')
Val not_json_null(Val v) {
  if (v && v->type == jbvNull) return std::nullopt;
  return v;
}

std::string numeric_text(const JsonbValue& v) {
  char* s = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric))); });
  return std::string(s);
}

// The jsonb text of a container.
std::string container_text(const JsonbValue& v) {
  char* s = pg_guard([&] { return JsonbToCString(nullptr, v.val.binary.data, v.val.binary.len); });
  return std::string(s);
}

// v ->> (the operator's result for the value found).
std::optional<std::string> arrow_text(const Val& v) {
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
std::string json_text(const Val& v) {
  if (!v) return std::string();
  if (v->type == jbvBinary) return container_text(*v);
  JsonbValue copy = *v;
  Jsonb* jb = pg_guard([&] { return JsonbValueToJsonb(&copy); });
  char* s = pg_guard([&] { return JsonbToCString(nullptr, &jb->root, static_cast<int>(VARSIZE(jb))); });
  return std::string(s);
}

// v ? 'key': an object's key, or a string element of an array (a scalar is
// an array of itself to this operator).
std::optional<bool> exists(const Val& v, std::string_view key) {
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
void for_each_element(const Val& v, Fn&& fn) {
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

// tweet_bigint / tweet_count: a JSON string or number holding a plain
// non-negative decimal integer no larger than max.
std::optional<int64_t> json_integer(const Val& v, int64_t max) {
  if (!v) return std::nullopt;
  if (v->type == jbvString)
    return parse_decimal(std::string_view(v->val.string.val, static_cast<std::size_t>(v->val.string.len)), max);
  if (v->type == jbvNumeric) return parse_decimal(numeric_text(*v), max);
  return std::nullopt;
}
std::optional<int64_t> json_bigint(const Val& v) { return json_integer(v, INT64_MAX); }
std::optional<int32_t> json_count(const Val& v) {
  auto n = json_integer(v, INT32_MAX);
  if (!n) return std::nullopt;
  return static_cast<int32_t>(*n);
}

// tweet_time(v ->> 'created_at')
std::optional<int64_t> json_time(const Val& v) {
  if (!v) return std::nullopt;
  std::optional<int64_t> unix_micros;
  if (v->type == jbvString) {
    unix_micros = parse_tweet_time(std::string_view(v->val.string.val, static_cast<std::size_t>(v->val.string.len)));
  } else {
    auto s = arrow_text(v);
    if (s) unix_micros = parse_tweet_time(*s);
  }
  if (!unix_micros) return std::nullopt;
  return tweet::from_unix_micros(*unix_micros);
}

// tweet_stated_time(v, false): a string in either created_at spelling.
std::optional<int64_t> stated_time(const Val& v) {
  if (!v || v->type != jbvString) return std::nullopt;
  return json_time(v);
}

// json_epoch_ms(v)
std::optional<int64_t> epoch_ms(const Val& v) {
  if (!v) return std::nullopt;
  if (v->type == jbvNumeric) return tweet::epoch_ms_number(numeric_text(*v));
  if (v->type == jbvString)
    return tweet::epoch_ms_string(std::string_view(v->val.string.val, static_cast<std::size_t>(v->val.string.len)));
  return std::nullopt;
}

std::optional<std::string> first_text(std::initializer_list<Val> vs) {
  for (const Val& v : vs) {
    auto s = arrow_text(v);
    if (s) return s;
  }
  return std::nullopt;
}

// coalesce over jsonb values (a JSON null is a value).
Val first_val(const Val& a, const Val& b) { return a ? a : b; }

bool is_lower_ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80 || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

// tweet_tags(tweet_array(a) || tweet_array(b), field, sigils)
std::vector<std::string> tags(const Val& a, const Val& b, std::string_view field, std::string_view sigils) {
  std::vector<std::string> out;
  auto take = [&](const Val& e) {
    Val f = get(e, field);
    if (f && f->type == jbvString) {
      std::string_view tag = strip_sigils(
          std::string_view(f->val.string.val, static_cast<std::size_t>(f->val.string.len)), sigils);
      // lower() leaves text without capitals or non-ASCII characters as it is
      // in every locale; the rest goes through the database's collation.
      if (!tag.empty()) out.push_back(is_lower_ascii(tag) ? std::string(tag) : lower(tag));
    }
    return true;
  };
  for_each_element(a, take);
  for_each_element(b, take);
  return dedupe_in_order(std::move(out));
}

// The rules array (tweet_rules): each object's tag, else its id, distinct,
// in the order of the database's default collation; NULL unless an array.
std::optional<std::vector<std::string>> rules(const Val& list) {
  if (!is_array(list)) return std::nullopt;
  std::vector<std::string> found;
  for_each_element(list, [&](const Val& r) {
    if (!is_object(r)) return true;
    auto tag = arrow_text(get(r, "tag"));
    if (!tag || tag->empty()) tag = arrow_text(get(r, "id"));
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
Val root_value(Jsonb* jb) {
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
std::string api_errors(const Val& errors, const char* first_a, const char* first_b, const char* second_a,
                       const char* second_b) {
  std::optional<std::string> agg;
  for_each_element(errors, [&](const Val& e) {
    auto a = arrow_text(get(e, first_a));
    if (!a && first_b != nullptr) a = arrow_text(get(e, first_b));
    auto b = arrow_text(get(e, second_a));
    if (!b && second_b != nullptr) b = arrow_text(get(e, second_b));
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
std::vector<Item> v2_items(const Val& p) {
  std::vector<Item> items;
  if (!is_object(p)) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v2 record: a JSON " + std::string(type_of(p)) + ", not an object"});
    return items;
  }
  Val data = get(p, "data");
  Val id = get(p, "id");
  if (is_object(data)) {
    items.push_back({0, data, false, get(p, "includes"), get(p, "matching_rules"), {}});
  } else if (is_array(data)) {
    Val includes = get(p, "includes");
    Val rules = get(p, "matching_rules");
    int64_t ord = 0;
    for_each_element(data, [&](const Val& e) {
      items.push_back({++ord, e, false, includes, rules, {}});
      return true;
    });
  } else if (data) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v2 record: \"data\" is a JSON " + std::string(type_of(data)) +
                                               ", not a tweet or an array of tweets"});
  } else if (id) {
    items.push_back({0, p, true, {}, get(p, "matching_rules"), {}});
  } else if (Val errors = get(p, "errors")) {
    items.push_back({0, {}, false, {}, {}, api_errors(errors, "title", "message", "detail", nullptr)});
  } else if (!get(p, "meta")) {
    items.push_back({0, {}, false, {}, {}, std::string("not a twitter_v2 record: none of the keys data, id, errors, meta")});
  }
  return items;
}

// twitter_v1_items
std::vector<Item> v1_items(const Val& p) {
  std::vector<Item> items;
  if (!is_object(p)) {
    items.push_back({0, {}, false, {}, {}, "not a twitter_v1 record: a JSON " + std::string(type_of(p)) + ", not an object"});
    return items;
  }
  if (get(p, "id_str") || get(p, "id")) {
    items.push_back({0, p, true, {}, {}, {}});
    return items;
  }
  Val statuses = get(p, "statuses");
  if (is_array(statuses)) {
    int64_t ord = 0;
    for_each_element(statuses, [&](const Val& e) {
      items.push_back({++ord, e, false, {}, {}, {}});
      return true;
    });
  } else if (Val errors = get(p, "errors")) {
    items.push_back({0, {}, false, {}, {}, api_errors(errors, "code", nullptr, "message", "title")});
  } else if (JsonContainerSize(p->val.binary.data) == 1) {
    // The one key of a stream notice (delete, limit, ...).
    JsonbIterator* it = pg_guard([&] { return JsonbIteratorInit(p->val.binary.data); });
    JsonbValue k;
    JsonbIteratorToken tok;
    do {
      tok = pg_guard([&] { return JsonbIteratorNext(&it, &k, true); });
    } while (tok != WJB_KEY && tok != WJB_DONE);
    std::string key = tok == WJB_KEY ? std::string(k.val.string.val, static_cast<std::size_t>(k.val.string.len)) : "";
    items.push_back({0, {}, false, {}, {}, "not a status: a v1.1 stream notice \"" + key + "\""});
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
void key_and_version(const Item& item, const Wording& w, int32_t seq, int64_t received_at, std::optional<int64_t> id,
                     const Val& stated, const char* stated_key, std::optional<int64_t> observed_at, StageRow& row) {
  const Val& t = item.tweet;
  Val created = get(t, "created_at");
  std::optional<int64_t> payload_time = json_time(created);
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
    f.type = type_of(t);
    f.id = id;
    f.has_created_at = created.has_value();
    f.payload_time = payload_time;
    f.created_at = row.created_at;
    f.stated = stated.has_value();
    f.stated_key = stated_key;
    f.observed_at = observed_at;
    f.received_at = received_at;
    row.problem = tweet::item_problem(f, w, [&] { return json_text(created); }, [&] { return json_text(stated); });
  }
  row.note = tweet::item_note(seq, item.ord, id, payload_time, id_time, w);
}

// The item's own JSON, for pulse.rejects: made only for a row that has a
// problem or a note here (RawFor::kNoted), or for every row (kEvery, which
// the batch asks for again when its SQL gives a row a problem or note later,
// such as retention's): a jsonb copy of every tweet of a stream line, kept
// in the staging table, cost a serialization and about 450 bytes per tweet.
std::optional<Datum> raw_datum(const Item& item, Datum payload, const StageRow& row, RawFor raw_for) {
  if (raw_for == RawFor::kNoted && !row.problem && !row.note) return std::nullopt;
  if (!item.tweet || item.tweet_is_payload) return payload;
  JsonbValue copy = *item.tweet;
  return PointerGetDatum(pg_guard([&] { return JsonbValueToJsonb(&copy); }));
}

// stage_twitter_v2's row for one item.
StageRow v2_row(const Item& item, const Val& p, Datum payload, int64_t received_at, int32_t seq, RawFor raw_for) {
  StageRow row;
  const Val& t = item.tweet;
  row.ord = item.ord;
  // twarc's metadata: on each flattened tweet, else on the response.
  Val stated = not_json_null(get(get(t, "__twarc"), "retrieved_at"));
  if (!stated) stated = not_json_null(get(get(p, "__twarc"), "retrieved_at"));
  key_and_version(item, kV2Words, seq, received_at, json_bigint(get(t, "id")), stated, "__twarc.retrieved_at",
                  stated_time(stated), row);
  row.raw = raw_datum(item, payload, row, raw_for);
  row.author_id = json_bigint(get(t, "author_id"));
  row.lang = arrow_text(get(t, "lang"));

  // A retweet: the first referenced tweet of type retweeted.
  std::optional<int64_t> rt_id;
  for_each_element(get(t, "referenced_tweets"), [&](const Val& rt) {
    auto type = arrow_text(get(rt, "type"));
    if (!type || *type != "retweeted") return true;
    rt_id = json_bigint(get(rt, "id"));
    return false;
  });
  auto refs = exists(t, "referenced_tweets");
  if (refs) row.is_retweet = *refs ? std::optional<bool>(rt_id.has_value()) : std::nullopt;
  row.retweeted_id = rt_id;

  // A retweet's own text is cut at 140 characters; the original, when the
  // page carries it as an expansion, gives the full text and entities.
  Val orig;
  std::optional<std::string> orig_user;
  if (rt_id) {
    for_each_element(get(item.includes, "tweets"), [&](const Val& o) {
      if (json_bigint(get(o, "id")) != rt_id) return true;
      orig = o;
      return false;
    });
  }
  if (orig) {
    auto author = arrow_text(get(orig, "author_id"));
    if (author) {
      for_each_element(get(item.includes, "users"), [&](const Val& u) {
        auto uid = arrow_text(get(u, "id"));
        if (!uid || *uid != *author) return true;
        orig_user = arrow_text(get(u, "username"));
        return false;
      });
    }
  }
  if (orig_user) {
    auto body = first_text({get(get(orig, "note_tweet"), "text"), get(orig, "text")});
    if (body) row.text = "RT @" + *orig_user + ": " + *body;
  } else {
    row.text = first_text({get(get(t, "note_tweet"), "text"), get(t, "text")});
  }

  Val own = get(t, "entities");
  if (is_object(own)) {
    Val orig_ents = get(orig, "entities");
    row.hashtags = tags(get(own, "hashtags"), get(orig_ents, "hashtags"), "tag", kHashSigils);
    row.cashtags = tags(get(own, "cashtags"), get(orig_ents, "cashtags"), "tag", "$");
    row.mentions = tags(get(own, "mentions"), get(orig_ents, "mentions"), "username", "@");
  }
  Val metrics = get(t, "public_metrics");
  row.retweet_count = json_count(get(metrics, "retweet_count"));
  row.like_count = json_count(get(metrics, "like_count"));
  row.reply_count = json_count(get(metrics, "reply_count"));
  row.quote_count = json_count(get(metrics, "quote_count"));
  row.matched_rules = rules(item.rules);
  return row;
}

// stage_twitter_v1's row for one item.
StageRow v1_row(const Item& item, const Val& p, Datum payload, int64_t received_at, int32_t seq, RawFor raw_for) {
  StageRow row;
  const Val& t = item.tweet;
  row.ord = item.ord;
  std::optional<int64_t> id = json_bigint(get(t, "id_str"));
  if (!id) id = json_bigint(get(t, "id"));
  // twarc's metadata (on the status, else on the response), else the time
  // the streaming API delivered the status.
  Val twarc = not_json_null(get(get(t, "__twarc"), "retrieved_at"));
  if (!twarc) twarc = not_json_null(get(get(p, "__twarc"), "retrieved_at"));
  Val stated = twarc ? twarc : not_json_null(get(t, "timestamp_ms"));
  const bool epoch = !twarc;
  key_and_version(item, kV1Words, seq, received_at, id, stated, epoch ? "timestamp_ms" : "__twarc.retrieved_at",
                  epoch ? epoch_ms(stated) : stated_time(stated), row);
  row.raw = raw_datum(item, payload, row, raw_for);
  Val user = get(t, "user");
  row.author_id = json_bigint(get(user, "id_str"));
  if (!row.author_id) row.author_id = json_bigint(get(user, "id"));
  row.lang = arrow_text(get(t, "lang"));

  Val rs = get(t, "retweeted_status");
  if (!is_object(rs)) rs.reset();
  auto screen_name = arrow_text(get(get(rs, "user"), "screen_name"));
  if (rs && screen_name) {
    auto body = first_text({get(get(rs, "extended_tweet"), "full_text"), get(rs, "full_text"), get(rs, "text")});
    if (body) row.text = "RT @" + *screen_name + ": " + *body;
  } else {
    row.text = first_text({get(get(t, "extended_tweet"), "full_text"), get(t, "full_text"), get(t, "text")});
  }
  // Entities of the full text: extended_tweet's when the status was cut.
  Val own = first_val(get(get(t, "extended_tweet"), "entities"), get(t, "entities"));
  if (is_object(own)) {
    Val orig = first_val(get(get(rs, "extended_tweet"), "entities"), get(rs, "entities"));
    row.hashtags = tags(get(own, "hashtags"), get(orig, "hashtags"), "text", kHashSigils);
    row.cashtags = tags(get(own, "symbols"), get(orig, "symbols"), "text", "$");
    row.mentions = tags(get(own, "user_mentions"), get(orig, "user_mentions"), "screen_name", "@");
  }
  // A v1.1 status always carries retweeted_status when it is a retweet.
  row.is_retweet = rs.has_value();
  row.retweeted_id = json_bigint(get(rs, "id_str"));
  if (!row.retweeted_id) row.retweeted_id = json_bigint(get(rs, "id"));
  row.retweet_count = json_count(get(t, "retweet_count"));
  row.like_count = json_count(get(t, "favorite_count"));
  row.reply_count = json_count(get(t, "reply_count"));
  row.quote_count = json_count(get(t, "quote_count"));
  row.matched_rules = rules(get(t, "matching_rules"));
  return row;
}

}  // namespace

void tweet_stage_rows(TweetFormat format, Datum payload, int64_t received_at, int32_t seq, RawFor raw_for,
                      MaterializedRows& out) {
  Jsonb* jb = static_cast<Jsonb*>(pg_guard([&] { return static_cast<void*>(DatumGetJsonbP(payload)); }));
  const Datum whole = PointerGetDatum(jb);
  const Val p = root_value(jb);
  if (format == TweetFormat::kV2) {
    for (const Item& item : v2_items(p)) put(out, seq, v2_row(item, p, whole, received_at, seq, raw_for));
  } else {
    for (const Item& item : v1_items(p)) put(out, seq, v1_row(item, p, whole, received_at, seq, raw_for));
  }
}

}  // namespace pulse::pg
