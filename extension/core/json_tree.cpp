// json_tree.h over simdjson's On-Demand parser (Debian's libsimdjson-dev),
// walked once into a list of nodes: the On-Demand front end alone hands out
// a number's text as written (raw_json_token), which the DOM parser turns
// into a double. Strings and keys are views into the parser's buffer, valid
// until the next parse. On-Demand is compiled into this file for the build's
// target (on a generic x86-64 build simdjson's portable kernel, not its
// runtime-chosen SIMD ones as the DOM parser in the library): for records
// of a few hundred bytes the cost is in the values, not the scan.
#include "core/json_tree.h"

#include "core/json_record.h"

#include <string>
#include <vector>

#include <simdjson.h>

namespace pulse::json {

namespace od = simdjson::ondemand;

struct Tree::Impl {
  struct N {
    TreeKind kind = TreeKind::kNull;
    std::string_view key;   // in an object: the member's key
    std::string_view text;  // a string's or a number's
    bool boolean = false;
    Node first = kNone;     // a container's first member
    Node next = kNone;      // the next member of the container holding it
    int count = 0;          // a container's members
  };
  od::parser parser;
  std::string buffer;  // the text, then the padding simdjson reads past its end
  std::vector<N> nodes;

  Node add(TreeKind k) {
    nodes.push_back(N{});
    nodes.back().kind = k;
    return static_cast<Node>(nodes.size() - 1);
  }
  const N* at(Node n) const {
    if (n < 0 || static_cast<std::size_t>(n) >= nodes.size()) return nullptr;
    return &nodes[static_cast<std::size_t>(n)];
  }

  // Makes child the next member of container self, after last.
  void append(Node self, Node& last, Node child) {
    if (last == kNone) {
      nodes[static_cast<std::size_t>(self)].first = child;
    } else {
      nodes[static_cast<std::size_t>(last)].next = child;
    }
    last = child;
    ++nodes[static_cast<std::size_t>(self)].count;
  }
  // Appends the value v (and what it holds); kNone when it cannot be read.
  template <typename V>
  Node walk(V& v, int depth);
  template <typename V>
  Node scalar(V& v, od::json_type t);
};

namespace {

// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - from;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

std::string_view trim_space(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A value's text as written (a value answers at once, a document through a
// result).
bool raw_token(od::value& v, std::string_view& out) {
  out = v.raw_json_token();
  return true;
}
bool raw_token(od::document& d, std::string_view& out) { return d.raw_json_token().get(out) == simdjson::SUCCESS; }

}  // namespace

template <typename V>
Tree::Node Tree::Impl::scalar(V& v, od::json_type t) {
  switch (t) {
    case od::json_type::string: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return kNone;
      Node n = add(TreeKind::kString);
      nodes[static_cast<std::size_t>(n)].text = s;
      return n;
    }
    case od::json_type::number: {
      std::string_view s;
      if (!raw_token(v, s)) return kNone;
      s = trim_space(s);
      // An exponent or 1,000 digits may leave numeric's range, where jsonb's
      // input fails (json_may_hold_wide_numbers' rule, for one number).
      if (s.size() > 1000 || s.find_first_of("eE") != std::string_view::npos || !is_json_number(s)) return kNone;
      Node n = add(TreeKind::kNumber);
      nodes[static_cast<std::size_t>(n)].text = s;
      return n;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b) != simdjson::SUCCESS) return kNone;
      Node n = add(TreeKind::kBool);
      nodes[static_cast<std::size_t>(n)].boolean = b;
      return n;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return kNone;
      return add(TreeKind::kNull);
    }
    default:
      return kNone;
  }
}

template <typename V>
Tree::Node Tree::Impl::walk(V& v, int depth) {
  if (depth > kMaxDepth) return kNone;
  od::json_type t;
  if (v.type().get(t) != simdjson::SUCCESS) return kNone;
  if (t == od::json_type::object) {
    od::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS) return kNone;
    Node self = add(TreeKind::kObject);
    Node last = kNone;
    for (auto member : obj) {
      od::field f;
      if (std::move(member).get(f) != simdjson::SUCCESS) return kNone;
      std::string_view key;
      if (f.unescaped_key().get(key) != simdjson::SUCCESS) return kNone;
      od::value val = f.value();
      Node child = walk(val, depth + 1);
      if (child == kNone) return kNone;
      nodes[static_cast<std::size_t>(child)].key = key;
      append(self, last, child);
    }
    return self;
  }
  if (t == od::json_type::array) {
    od::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS) return kNone;
    Node self = add(TreeKind::kArray);
    Node last = kNone;
    for (auto element : arr) {
      od::value val;
      if (std::move(element).get(val) != simdjson::SUCCESS) return kNone;
      Node child = walk(val, depth + 1);
      if (child == kNone) return kNone;
      append(self, last, child);
    }
    return self;
  }
  return scalar(v, t);
}

Tree::Tree() : impl_(std::make_unique<Impl>()) {}
Tree::~Tree() = default;

bool Tree::parse(std::string_view text) {
  Impl& m = *impl_;
  m.nodes.clear();
  if (text.size() > kMaxText || !escapes_agree_with_jsonb(text)) return false;
  m.buffer.assign(text.data(), text.size());
  m.buffer.resize(text.size() + simdjson::SIMDJSON_PADDING, '\0');
  od::document doc;
  if (m.parser.iterate(m.buffer.data(), text.size(), m.buffer.size()).get(doc) != simdjson::SUCCESS) return false;
  od::json_type t;
  if (doc.type().get(t) != simdjson::SUCCESS) return false;
  bool whole;
  if (t == od::json_type::object || t == od::json_type::array) {
    od::value v;
    if (doc.get_value().get(v) != simdjson::SUCCESS) return false;
    // Nothing may follow the value (the document's end is "out of bounds").
    whole = m.walk(v, 1) == 0 && doc.current_location().error() == simdjson::OUT_OF_BOUNDS;
  } else {
    // A scalar document: its token (with the white space after it) must
    // reach the end of the text.
    std::string_view token;
    whole = doc.raw_json_token().get(token) == simdjson::SUCCESS &&
            token.data() + token.size() == m.buffer.data() + text.size() && m.scalar(doc, t) == 0;
  }
  if (!whole) m.nodes.clear();
  return whole;
}

TreeKind Tree::kind(Node n) const {
  const Impl::N* x = impl_->at(n);
  return x == nullptr ? TreeKind::kAbsent : x->kind;
}

Tree::Node Tree::field(Node n, std::string_view key) const {
  const Impl::N* x = impl_->at(n);
  if (x == nullptr || x->kind != TreeKind::kObject) return kNone;
  Node found = kNone;
  for (Node c = x->first; c != kNone; c = impl_->nodes[static_cast<std::size_t>(c)].next)
    if (impl_->nodes[static_cast<std::size_t>(c)].key == key) found = c;
  return found;
}

Tree::Node Tree::element(Node n, int i) const {
  const Impl::N* x = impl_->at(n);
  if (x == nullptr || x->kind != TreeKind::kArray || i < 0 || i >= x->count) return kNone;
  Node c = x->first;
  for (int k = 0; k < i; ++k) c = impl_->nodes[static_cast<std::size_t>(c)].next;
  return c;
}

int Tree::size(Node n) const {
  const Impl::N* x = impl_->at(n);
  return x != nullptr && x->kind == TreeKind::kArray ? x->count : 0;
}

std::string_view Tree::text(Node n) const {
  const Impl::N* x = impl_->at(n);
  return x == nullptr ? std::string_view() : x->text;
}

bool Tree::boolean(Node n) const {
  const Impl::N* x = impl_->at(n);
  return x != nullptr && x->boolean;
}

}  // namespace pulse::json
