// json_record.h over simdjson's DOM parser (Debian's libsimdjson-dev): one
// parser per Record, whose buffers are reused from record to record. The
// handles are indexes into a list of the elements handed out, so the header
// names no simdjson type.
#include "core/json_record.h"

#include "core/json_array_text.h"

#include <simdjson.h>

namespace pulse::json {

struct Record::Impl {
  simdjson::dom::parser parser;
  std::string buffer;  // the text, followed by the padding simdjson reads past its end
  std::vector<simdjson::dom::element> nodes;

  Node add(simdjson::dom::element e) {
    nodes.push_back(e);
    return static_cast<Node>(nodes.size() - 1);
  }
  const simdjson::dom::element* at(Node n) const {
    if (n < 0 || static_cast<std::size_t>(n) >= nodes.size()) return nullptr;
    return &nodes[static_cast<std::size_t>(n)];
  }
};

Record::Record() : impl_(std::make_unique<Impl>()) {}
Record::~Record() = default;

namespace {

bool parse_into(simdjson::dom::parser& parser, std::string& buffer, std::string_view text,
                simdjson::dom::element& root) {
  if (!escapes_agree_with_jsonb(text)) return false;
  buffer.assign(text.data(), text.size());
  buffer.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  return parser.parse(buffer.data(), text.size(), false).get(root) == simdjson::SUCCESS;
}

}  // namespace

bool Record::parse(std::string_view text) {
  impl_->nodes.clear();
  if (text.size() > kMaxText) return false;
  simdjson::dom::element root;
  if (!parse_into(impl_->parser, impl_->buffer, text, root)) return false;
  impl_->add(root);
  return true;
}

std::optional<long> Record::array_length(std::string_view text) {
  impl_->nodes.clear();
  if (text.size() > kMaxChunk || json_may_hold_wide_numbers(text)) return std::nullopt;
  simdjson::dom::element root;
  bool ok = parse_into(impl_->parser, impl_->buffer, text, root);
  std::optional<long> n;
  if (ok) {
    simdjson::dom::array arr;
    n = root.get_array().get(arr) == simdjson::SUCCESS ? static_cast<long>(arr.size()) : -1L;
  }
  if (text.size() > kMaxText) {
    impl_->parser = simdjson::dom::parser();
    std::string().swap(impl_->buffer);
  }
  return n;
}

Kind Record::kind(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  if (e == nullptr) return Kind::kNull;
  switch (e->type()) {
    case simdjson::dom::element_type::OBJECT:
      return Kind::kObject;
    case simdjson::dom::element_type::ARRAY:
      return Kind::kArray;
    case simdjson::dom::element_type::STRING:
      return Kind::kString;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
      return Kind::kInteger;
    case simdjson::dom::element_type::DOUBLE:
      return Kind::kOtherNumber;
    case simdjson::dom::element_type::BOOL:
      return Kind::kBoolean;
    case simdjson::dom::element_type::NULL_VALUE:
      return Kind::kNull;
  }
  return Kind::kNull;
}

Record::Node Record::get(Node n, std::string_view key) {
  const simdjson::dom::element* e = impl_->at(n);
  simdjson::dom::object obj;
  if (e == nullptr || e->get_object().get(obj) != simdjson::SUCCESS) return kNone;
  // jsonb keeps the last of duplicate keys: look at every key.
  simdjson::dom::element found;
  bool any = false;
  for (simdjson::dom::key_value_pair kv : obj) {
    if (kv.key == key) {
      found = kv.value;
      any = true;
    }
  }
  return any ? impl_->add(found) : kNone;
}

std::string_view Record::string(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  std::string_view s;
  if (e == nullptr || e->get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

bool Record::boolean(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  bool b = false;
  if (e == nullptr || e->get_bool().get(b) != simdjson::SUCCESS) return false;
  return b;
}

std::string Record::integer_text(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  if (e == nullptr) return {};
  int64_t i = 0;
  if (e->get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u = 0;
  if (e->get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
  return {};
}

std::vector<Record::Node> Record::elements(Node n) {
  std::vector<Node> out;
  const simdjson::dom::element* e = impl_->at(n);
  simdjson::dom::array arr;
  if (e == nullptr || e->get_array().get(arr) != simdjson::SUCCESS) return out;
  // add() may move the list e points into: the array value was copied first.
  for (simdjson::dom::element x : arr) out.push_back(impl_->add(x));
  return out;
}

std::size_t Record::distinct_keys(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  simdjson::dom::object obj;
  if (e == nullptr || e->get_object().get(obj) != simdjson::SUCCESS) return 0;
  std::vector<std::string_view> keys;
  for (simdjson::dom::key_value_pair kv : obj) {
    bool seen = false;
    for (std::string_view k : keys) seen = seen || k == kv.key;
    if (!seen) keys.push_back(kv.key);
  }
  return keys.size();
}

std::string_view Record::first_key(Node n) const {
  const simdjson::dom::element* e = impl_->at(n);
  simdjson::dom::object obj;
  if (e == nullptr || e->get_object().get(obj) != simdjson::SUCCESS) return {};
  for (simdjson::dom::key_value_pair kv : obj) return kv.key;
  return {};
}

namespace {

// The value of 4 hex digits at s[i..i+4), or -1.
int hex4(std::string_view s, std::size_t i) {
  if (i + 4 > s.size()) return -1;
  int v = 0;
  for (std::size_t k = i; k < i + 4; ++k) {
    char c = s[k];
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return -1;
    }
    v = v * 16 + d;
  }
  return v;
}

}  // namespace

bool escapes_agree_with_jsonb(std::string_view text) {
  // A backslash is only ever inside a string (anything else is refused by
  // both parsers), and starts an escape of two bytes or of six (\uXXXX).
  std::size_t i = text.find('\\');
  while (i != std::string_view::npos) {
    if (i + 1 >= text.size()) return false;
    if (text[i + 1] != 'u') {
      i = text.find('\\', i + 2);
      continue;
    }
    int cp = hex4(text, i + 2);
    if (cp <= 0) return false;  // malformed, or \u0000
    std::size_t next = i + 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (next + 1 >= text.size() || text[next] != '\\' || text[next + 1] != 'u') return false;
      int low = hex4(text, next + 2);
      if (low < 0xDC00 || low > 0xDFFF) return false;
      next += 6;
    }
    i = text.find('\\', next);
  }
  return true;
}

}  // namespace pulse::json
