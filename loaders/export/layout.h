// Where pulse-load export puts a stream's records, and how a file gets there
// whole: Firehose's S3 layout on a file system, DIR/<stream>/YYYY/MM/DD/HH/
// (the hour, UTC, in which a file's first record was received), files named
// <stream>-<first seq>-<last seq>.ndjson.gz, written under a temporary name
// in DIR/<stream>/.pulse-tmp/, fsynced, renamed into place and the directory
// fsynced, so a file is either there whole or not at all.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pulse::load {

// A file-system failure of the export (exit 4 is the database's; these are 3).
class ExportIoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A stream name as one path component: bytes outside [A-Za-z0-9._:=@,+-]
// and a leading '.' as %XX (so "a/b" is one directory, never two, and no
// name is hidden or "..").
std::string escape_component(std::string_view name);

// <stream>-<first>-<last>.ndjson.gz for an escaped stream name.
std::string export_file_name(const std::string& stream_dir, int64_t first, int64_t last);
// The [first, last] of a file name of that stream, if it is one.
std::optional<std::pair<int64_t, int64_t>> parse_export_file_name(const std::string& stream_dir,
                                                                  const std::string& name);

// mkdir -p, each directory it makes fsynced into its parent.
void make_dirs_durable(const std::string& path);
void fsync_dir(const std::string& dir);
// Regular files in a directory (names only; none when it does not exist).
std::vector<std::string> list_files(const std::string& dir);
// Lines (records) of a gzip file.
int64_t count_gzip_lines(const std::string& path);

// One export file being written: gzip (zlib, level 6) into a temporary file
// that publish() makes the final one. Dropped unpublished, the temporary
// file goes.
class GzipFile {
 public:
  explicit GzipFile(std::string tmp_path);
  ~GzipFile();
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;

  void write_line(std::string_view line);
  // Uncompressed bytes written (lines and newlines).
  int64_t raw_bytes() const { return raw_bytes_; }
  // Finishes the gzip stream, fsyncs, renames to dir/name (making dir), and
  // fsyncs dir and the temporary directory.
  void publish(const std::string& dir, const std::string& name);

 private:
  std::string tmp_path_;
  int fd_ = -1;
  void* gz_ = nullptr;  // gzFile
  int64_t raw_bytes_ = 0;
  bool published_ = false;
};

}  // namespace pulse::load
