#include "core/rollup_shape.h"

#include <cstdio>

namespace pulse {

std::string json_quote(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
  return out;
}

namespace {

const char* kind_name(WindowKind k) {
  switch (k) {
    case WindowKind::kHop: return "hop";
    case WindowKind::kSession: return "session";
    case WindowKind::kTumbling: break;
  }
  return "tumbling";
}

std::string columns_json(const std::vector<RollupColumn>& cols, bool aggregates) {
  std::string out = "[";
  for (size_t i = 0; i < cols.size(); ++i) {
    const RollupColumn& c = cols[i];
    if (i) out += ",";
    out += "{\"name\":" + json_quote(c.name) + ",\"expr\":" + json_quote(c.expr) + ",\"type\":" + json_quote(c.type);
    if (aggregates) {
      out += ",\"func\":" + json_quote(c.func) + ",\"distinct\":" + (c.distinct ? "true" : "false") +
             ",\"additive\":" + (c.additive ? "true" : "false");
    }
    out += "}";
  }
  return out + "]";
}

}  // namespace

std::string rollup_shape_json(const RollupShape& s) {
  std::string out = "{";
  out += "\"relid\":" + std::to_string(s.relid);
  out += ",\"relation\":" + json_quote(s.relation);
  out += ",\"kind\":" + json_quote(kind_name(s.kind));
  out += ",\"window_name\":" + json_quote(s.window_name);
  out += ",\"time_column\":" + json_quote(s.time_column);
  out += ",\"size\":" + json_quote(s.size);
  out += ",\"slide\":" + (s.slide.empty() ? std::string("null") : json_quote(s.slide));
  out += ",\"origin\":" + (s.origin.empty() ? std::string("null") : json_quote(s.origin));
  out += ",\"groups\":" + columns_json(s.groups, false);
  out += ",\"aggregates\":" + columns_json(s.aggregates, true);
  out += ",\"where\":" + (s.where.empty() ? std::string("null") : json_quote(s.where));
  return out + "}";
}

}  // namespace pulse
