// Framing raw records out of byte streams, before any JSON parsing: lines of a
// chunked HTTP stream or a JSON Lines file, and the elements of a top-level
// JSON array. Chunk boundaries may fall anywhere (inside a line, inside a
// UTF-8 character); memory stays bounded by the maximum record size.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pulse::load {

// One record's bytes as framed. When `problem` is set the record is not
// usable as it stands (too long, truncated, not inside the array) and belongs
// in pulse.rejects with that reason; `bytes` then holds what was kept of it.
struct Frame {
  std::string bytes;
  std::string problem;
  size_t size = 0;  // the record's full size in bytes (bytes may be a prefix)
};

using FrameSink = std::function<void(Frame&&)>;

struct FramingLimits {
  size_t max_record = 16u << 20;  // larger records are rejected, not buffered
  size_t keep_prefix = 64u << 10; // bytes of a rejected oversized record kept
};

// Splits a byte stream at '\n'. A trailing '\r' is dropped; blank lines (the
// X stream's keep-alive "\r\n") are skipped.
class LineFramer {
 public:
  explicit LineFramer(FramingLimits limits = {}) : limits_(limits) {}
  void feed(std::string_view chunk, const FrameSink& sink);
  // End of input: the bytes after the last newline, if any (a JSON Lines file
  // need not end with a newline; for a stream this is a truncated line).
  std::optional<Frame> finish();
  // Bytes of the line being assembled.
  size_t pending() const { return oversized_ ? limits_.keep_prefix : line_.size(); }

 private:
  void emit(const FrameSink& sink);
  FramingLimits limits_;
  std::string line_;
  bool oversized_ = false;
  size_t skipped_ = 0;  // bytes of an oversized line not kept
};

// Splits one top-level JSON array into its elements' bytes, streaming. Only
// strings, escapes and brackets are tracked; each element is validated later.
// Problems (bytes before '[' or after ']', an empty element, an array cut
// short) come out as frames with `problem` set.
class JsonArraySplitter {
 public:
  explicit JsonArraySplitter(FramingLimits limits = {}) : limits_(limits) {}
  void feed(std::string_view chunk, const FrameSink& sink);
  void finish(const FrameSink& sink);

 private:
  enum class State { kBefore, kInside, kAfter };
  void element_byte(char c);
  void end_element(const FrameSink& sink, bool closing);
  FramingLimits limits_;
  State state_ = State::kBefore;
  std::string cur_;
  size_t cur_size_ = 0;
  int depth_ = 0;  // nesting inside the current element
  bool in_string_ = false, escape_ = false;
  bool saw_element_ = false;  // for "[]" versus "[1,]"
  bool not_array_ = false;
  std::string trailing_;
};

// JSON's whitespace (space, tab, LF, CR).
bool is_json_space(char c);

// Drops what may precede a JSON record stream's first byte: a UTF-8 byte
// order mark (bom_seen counts its bytes across chunks) and whitespace. True
// when chunk now starts with that first byte; false when it was used up.
bool skip_stream_lead(std::string_view& chunk, size_t& bom_seen);

// Reads JSON Lines or one JSON array from a byte stream, deciding by the first
// byte that is not whitespace (or a UTF-8 byte order mark): '[' means an
// array, anything else JSON Lines.
class RecordReader {
 public:
  explicit RecordReader(FramingLimits limits = {}) : lines_(limits), array_(limits) {}
  void feed(std::string_view chunk, const FrameSink& sink);
  void finish(const FrameSink& sink);
  bool is_array() const { return mode_ == Mode::kArray; }

 private:
  enum class Mode { kUnknown, kLines, kArray };
  Mode mode_ = Mode::kUnknown;
  size_t bom_seen_ = 0;
  LineFramer lines_;
  JsonArraySplitter array_;
};

}  // namespace pulse::load
