// A small recursive-descent JSON scanner. Our own code rather than jansson
// because jansson decodes numbers into int64/double (refusing larger ones) and
// re-serializing would reformat them; we only need to know where values begin
// and end and that PostgreSQL's jsonb input will accept them.
#include "core/json_scan.h"

#include <simdjson.h>

#include <stdexcept>

namespace pulse::load {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view t) : t_(t) {}

  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool at_end() const { return p_ >= t_.size(); }
  size_t pos() const { return p_; }
  char peek() const { return p_ < t_.size() ? t_[p_] : '\0'; }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument(what + " at byte " + std::to_string(p_));
  }
  void expect(char c) {
    if (peek() != c || at_end()) fail(std::string("expected '") + c + "'");
    ++p_;
  }

  void value(int depth = 0) {
    if (depth > 1000) fail("nesting too deep");
    ws();
    if (at_end()) fail("unexpected end of input");
    char c = t_[p_];
    switch (c) {
      case '{': object(depth); break;
      case '[': array(depth); break;
      case '"': string(); break;
      case 't': literal("true"); break;
      case 'f': literal("false"); break;
      case 'n': literal("null"); break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) number();
        else fail("unexpected character");
    }
  }

  void object(int depth) {
    expect('{');
    ws();
    if (peek() == '}' && !at_end()) { ++p_; return; }
    for (;;) {
      ws();
      if (peek() != '"') fail("expected a member name");
      string();
      ws();
      expect(':');
      value(depth + 1);
      ws();
      if (peek() == ',' && !at_end()) { ++p_; continue; }
      expect('}');
      return;
    }
  }

  void array(int depth) {
    expect('[');
    ws();
    if (peek() == ']' && !at_end()) { ++p_; return; }
    for (;;) {
      value(depth + 1);
      ws();
      if (peek() == ',' && !at_end()) { ++p_; continue; }
      expect(']');
      return;
    }
  }

  void literal(const char* word) {
    std::string_view w(word);
    if (t_.substr(p_, w.size()) != w) fail("invalid literal");
    p_ += w.size();
  }

  void digits() {
    size_t start = p_;
    while (!at_end() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
    if (p_ == start) fail("expected a digit");
  }

  void number() {
    if (peek() == '-') ++p_;
    if (peek() == '0' && !at_end()) {
      ++p_;
    } else {
      digits();
    }
    if (peek() == '.' && !at_end()) { ++p_; digits(); }
    if ((peek() == 'e' || peek() == 'E') && !at_end()) {
      ++p_;
      if (peek() == '+' || peek() == '-') ++p_;
      digits();
    }
  }

  static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  unsigned u4() {
    if (p_ + 4 > t_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex(t_[p_ + i]);
      if (h < 0) fail("invalid \\u escape");
      v = v * 16 + unsigned(h);
    }
    p_ += 4;
    return v;
  }

  void string() {
    expect('"');
    for (;;) {
      if (at_end()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(t_[p_]);
      if (c == '"') { ++p_; return; }
      if (c < 0x20) fail("control character in string");
      if (c == '\\') {
        ++p_;
        if (at_end()) fail("unterminated escape");
        char e = t_[p_++];
        if (e == 'u') {
          unsigned v = u4();
          if (v == 0) fail("\\u0000 cannot be stored in jsonb");
          if (v >= 0xD800 && v <= 0xDBFF) {
            // jsonb wants a high surrogate followed by a low one.
            if (t_.substr(p_, 2) != "\\u") fail("unpaired surrogate");
            p_ += 2;
            unsigned lo = u4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("unpaired surrogate");
          } else if (v >= 0xDC00 && v <= 0xDFFF) {
            fail("unpaired surrogate");
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
          fail("invalid escape");
        }
        continue;
      }
      if (c < 0x80) { ++p_; continue; }
      utf8(c);
    }
  }

  // One multi-byte UTF-8 sequence, rejecting overlongs, surrogates and > U+10FFFF.
  void utf8(unsigned char c) {
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else fail("invalid UTF-8");
    if (p_ + 1 + n > t_.size()) fail("truncated UTF-8");
    for (int i = 1; i <= n; ++i) {
      unsigned char d = static_cast<unsigned char>(t_[p_ + i]);
      if ((d & 0xC0) != 0x80) fail("invalid UTF-8");
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      fail("invalid UTF-8");
    p_ += 1 + n;
  }

 private:
  std::string_view t_;
  size_t p_ = 0;
};

}  // namespace

namespace {

// simdjson's DOM parser accepts a subset of what the scanner accepts (strict
// RFC 8259 grammar and UTF-8, numbers within a double, nesting within its
// depth limit, set well below the scanner's 1,000) except one thing: the
// escape \u0000, which jsonb refuses. It is about four times faster than the
// scanner on the bench's tweets (simdjson 0.9 us a record, the scanner 4),
// so it vouches for a text it accepts and the scanner judges the rest (and
// words the reason). One parser per thread (the gateway's are many).
bool simdjson_accepts(std::string_view text) {
  constexpr std::size_t kMaxDepth = 500;
  thread_local simdjson::dom::parser parser;
  thread_local bool ready = false;
  if (!ready) {
    if (parser.allocate(1 << 16, kMaxDepth) != simdjson::SUCCESS) return false;
    ready = true;
  }
  if (text.find("\\u0000") != std::string_view::npos) return false;
  // Past a few MB, leave it to the scanner rather than grow the buffers.
  if (text.size() > (std::size_t{4} << 20)) return false;
  simdjson::dom::element root;
  return parser.parse(text.data(), text.size(), true).get(root) == simdjson::SUCCESS;
}

std::string scan_reason(std::string_view text) {
  try {
    Scanner s(text);
    s.value();
    s.ws();
    if (!s.at_end()) s.fail("trailing characters after the JSON value");
    return {};
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

}  // namespace

std::string json_invalid_reason(std::string_view text) {
  if (simdjson_accepts(text)) return {};
  return scan_reason(text);
}

std::string json_scan_reason(std::string_view text) { return scan_reason(text); }

std::vector<Span> split_json_array(std::string_view text) {
  Scanner s(text);
  std::vector<Span> out;
  s.ws();
  s.expect('[');
  s.ws();
  if (s.peek() == ']' && !s.at_end()) {
    s.expect(']');
  } else {
    for (;;) {
      s.ws();
      size_t b = s.pos();
      s.value(1);
      out.push_back({b, s.pos()});
      s.ws();
      if (s.peek() == ',' && !s.at_end()) { s.expect(','); continue; }
      s.expect(']');
      break;
    }
  }
  s.ws();
  if (!s.at_end()) s.fail("trailing characters after the JSON array");
  return out;
}

std::optional<Span> find_json_member(std::string_view text, std::string_view key) {
  Scanner s(text);
  std::optional<Span> found;
  s.ws();
  s.expect('{');
  s.ws();
  if (s.peek() == '}' && !s.at_end()) {
    s.expect('}');
  } else {
    for (;;) {
      s.ws();
      size_t kb = s.pos();
      if (s.peek() != '"') s.fail("expected a member name");
      s.string();
      std::string_view k = text.substr(kb + 1, s.pos() - kb - 2);
      s.ws();
      s.expect(':');
      s.ws();
      size_t vb = s.pos();
      s.value(1);
      if (k == key) found = Span{vb, s.pos()};  // last one wins, as in jsonb
      s.ws();
      if (s.peek() == ',' && !s.at_end()) { s.expect(','); continue; }
      s.expect('}');
      break;
    }
  }
  s.ws();
  if (!s.at_end()) s.fail("trailing characters after the JSON object");
  return found;
}

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char* hexd = "0123456789abcdef";
          out += "\\u00";
          out += hexd[c >> 4];
          out += hexd[c & 15];
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
  return out;
}

JsonPtr json_parse(std::string_view text, std::string* err) {
  json_error_t e;
  json_t* j = json_loadb(text.data(), text.size(), JSON_DECODE_ANY, &e);
  if (!j && err) *err = e.text;
  return JsonPtr(j);
}

}  // namespace pulse::load
