// See framing.h. Written here rather than taken from a JSON library: the
// libraries at hand (jansson) parse whole documents in memory and cannot
// resume in the middle of one when the next network chunk arrives.
#include "core/framing.h"

#include <cstring>

namespace pulse::load {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool skip_stream_lead(std::string_view& chunk, size_t& bom_seen) {
  static const unsigned char kBom[] = {0xEF, 0xBB, 0xBF};
  while (!chunk.empty()) {
    unsigned char c = static_cast<unsigned char>(chunk.front());
    if ((bom_seen < 3 && c == kBom[bom_seen]) || is_json_space(static_cast<char>(c))) {
      if (bom_seen < 3 && c == kBom[bom_seen]) ++bom_seen;
      chunk.remove_prefix(1);
      continue;
    }
    return true;
  }
  return false;
}

namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (!is_json_space(c)) return false;
  return true;
}

std::string too_long(size_t size, size_t max, size_t kept) {
  return "record of " + std::to_string(size) + " bytes is longer than the limit of " + std::to_string(max) +
         " bytes; its first " + std::to_string(kept) + " bytes are kept here";
}

}  // namespace

void LineFramer::emit(const FrameSink& sink) {
  Frame f;
  if (oversized_) {
    f.size = line_.size() + skipped_;
    f.problem = too_long(f.size, limits_.max_record, line_.size());
  } else {
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (blank(line_)) {  // keep-alive
      line_.clear();
      return;
    }
    f.size = line_.size();
  }
  f.bytes = std::move(line_);
  line_ = std::string();
  oversized_ = false;
  skipped_ = 0;
  sink(std::move(f));
}

void LineFramer::feed(std::string_view chunk, const FrameSink& sink) {
  while (!chunk.empty()) {
    const void* nl = std::memchr(chunk.data(), '\n', chunk.size());
    size_t take = nl ? static_cast<const char*>(nl) - chunk.data() : chunk.size();
    std::string_view part = chunk.substr(0, take);
    if (oversized_) {
      skipped_ += part.size();
    } else if (line_.size() + part.size() > limits_.max_record) {
      // Keep a prefix for the reject row and stop buffering the rest.
      size_t room = line_.size() < limits_.keep_prefix ? limits_.keep_prefix - line_.size() : 0;
      size_t keep = std::min(room, part.size());
      if (line_.size() > limits_.keep_prefix) {
        skipped_ += line_.size() - limits_.keep_prefix;
        line_.resize(limits_.keep_prefix);
      }
      line_.append(part.substr(0, keep));
      skipped_ += part.size() - keep;
      line_.shrink_to_fit();
      oversized_ = true;
    } else {
      line_.append(part);
    }
    if (!nl) break;
    emit(sink);
    chunk.remove_prefix(take + 1);
  }
}

std::optional<Frame> LineFramer::finish() {
  std::optional<Frame> out;
  if (oversized_ || !blank(line_)) emit([&](Frame&& f) { out = std::move(f); });
  line_.clear();
  oversized_ = false;
  skipped_ = 0;
  return out;
}

void JsonArraySplitter::element_byte(char c) {
  ++cur_size_;
  if (cur_size_ <= limits_.max_record) {
    cur_.push_back(c);
  } else if (cur_size_ == limits_.max_record + 1) {
    // Too long: keep a prefix for the reject row, stop buffering.
    cur_.resize(std::min(cur_.size(), limits_.keep_prefix));
    cur_.shrink_to_fit();
  }
}

void JsonArraySplitter::end_element(const FrameSink& sink, bool closing) {
  Frame f;
  f.size = cur_size_;
  if (cur_size_ > limits_.max_record) {
    f.problem = too_long(cur_size_, limits_.max_record, cur_.size());
  } else if (blank(cur_)) {
    if (closing && !saw_element_) return;  // "[]"
    f.problem = "empty element in the JSON array";
  }
  f.bytes = std::move(cur_);
  cur_ = std::string();
  cur_size_ = 0;
  saw_element_ = true;
  sink(std::move(f));
}

void JsonArraySplitter::feed(std::string_view chunk, const FrameSink& sink) {
  for (char c : chunk) {
    switch (state_) {
      case State::kBefore:
        if (c == '[') {
          state_ = State::kInside;
        } else if (!is_json_space(c)) {
          trailing_.push_back(c);  // reported at finish: not an array at all
          not_array_ = true;
          state_ = State::kAfter;
        }
        break;
      case State::kInside:
        if (in_string_) {
          if (escape_) escape_ = false;
          else if (c == '\\') escape_ = true;
          else if (c == '"') in_string_ = false;
          element_byte(c);
        } else if (depth_ == 0 && c == ',') {
          end_element(sink, false);
        } else if (depth_ == 0 && c == ']') {
          end_element(sink, true);
          state_ = State::kAfter;
        } else {
          if (c == '"') in_string_ = true;
          else if (c == '[' || c == '{') ++depth_;
          else if ((c == ']' || c == '}') && depth_ > 0) --depth_;
          element_byte(c);
        }
        break;
      case State::kAfter:
        if ((!trailing_.empty() || !is_json_space(c)) && trailing_.size() < limits_.keep_prefix) trailing_.push_back(c);
        break;
    }
  }
}

void JsonArraySplitter::finish(const FrameSink& sink) {
  if (state_ == State::kInside) {
    Frame f;
    f.size = cur_size_;
    f.bytes = std::move(cur_);
    f.problem = "truncated: the input ends inside the JSON array, before this element is complete";
    if (!blank(f.bytes) || !saw_element_) sink(std::move(f));
  } else if (!trailing_.empty()) {
    Frame f;
    f.size = trailing_.size();
    f.bytes = std::move(trailing_);
    f.problem = not_array_ ? "not a JSON array" : "bytes after the end of the JSON array";
    sink(std::move(f));
  }
  *this = JsonArraySplitter(limits_);
}

void RecordReader::feed(std::string_view chunk, const FrameSink& sink) {
  if (mode_ == Mode::kUnknown && skip_stream_lead(chunk, bom_seen_)) mode_ = chunk.front() == '[' ? Mode::kArray : Mode::kLines;
  if (mode_ == Mode::kArray) array_.feed(chunk, sink);
  else if (mode_ == Mode::kLines) lines_.feed(chunk, sink);
}

void RecordReader::finish(const FrameSink& sink) {
  if (mode_ == Mode::kArray) {
    array_.finish(sink);
  } else if (mode_ == Mode::kLines) {
    if (auto f = lines_.finish()) sink(std::move(*f));
  }
}

}  // namespace pulse::load
