// TextRef (json_text_value.h): JsonRef's answers from a record's text.
#include "pg/json_text_value.h"

#include "pg/projection.h"

namespace pulse::pg {

JsonKind TextRef::kind() const noexcept {
  if (tree_ == nullptr) return JsonKind::kAbsent;
  switch (tree_->kind(node_)) {
    case json::TreeKind::kNull: return JsonKind::kNull;
    case json::TreeKind::kString: return JsonKind::kString;
    case json::TreeKind::kNumber: return JsonKind::kNumber;
    case json::TreeKind::kBool: return JsonKind::kBool;
    case json::TreeKind::kObject: return JsonKind::kObject;
    case json::TreeKind::kArray: return JsonKind::kArray;
    case json::TreeKind::kAbsent: break;
  }
  return JsonKind::kAbsent;
}

TextRef TextRef::field(std::string_view key) const {
  if (tree_ == nullptr) return TextRef();
  json::Tree::Node n = tree_->field(node_, key);
  return n == json::Tree::kNone ? TextRef() : TextRef(tree_, n);
}

TextRef TextRef::element(int i) const {
  switch (kind()) {
    case JsonKind::kAbsent:
    case JsonKind::kObject:
      return TextRef();
    case JsonKind::kArray: {
      json::Tree::Node n = tree_->element(node_, i);
      return n == json::Tree::kNone ? TextRef() : TextRef(tree_, n);
    }
    default:
      return i == 0 ? *this : TextRef();
  }
}

int TextRef::array_length() const noexcept { return tree_ == nullptr ? 0 : tree_->size(node_); }

std::optional<std::string> TextRef::text() const {
  switch (kind()) {
    case JsonKind::kString: return std::string(tree_->text(node_));
    case JsonKind::kNumber: return number_text();
    case JsonKind::kBool: return std::string(tree_->boolean(node_) ? "true" : "false");
    case JsonKind::kObject:
    case JsonKind::kArray: throw NeedsJsonb{};
    default: return std::nullopt;
  }
}

std::string_view TextRef::string() const noexcept {
  return kind() == JsonKind::kString ? tree_->text(node_) : std::string_view();
}

Datum TextRef::numeric() const {
  return kind() == JsonKind::kNumber ? numeric_from_text(tree_->text(node_)) : static_cast<Datum>(0);
}

std::string TextRef::number_text() const {
  if (kind() != JsonKind::kNumber) return {};
  std::string_view t = tree_->text(node_);
  if (!t.empty() && t[0] == '-' && t.find_first_not_of("-0.") == std::string_view::npos) t.remove_prefix(1);
  return std::string(t);
}

}  // namespace pulse::pg
