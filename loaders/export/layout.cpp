// See layout.h. The durable steps are the usual POSIX ones (write, fsync the
// file, rename, fsync the directory); zlib writes the gzip stream.
#include "export/layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>

namespace pulse::load {
namespace {

[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  throw ExportIoError(what + " " + path + ": " + std::strerror(errno));
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

constexpr const char* kSuffix = ".ndjson.gz";

}  // namespace

std::string escape_component(std::string_view name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                 c == ':' || c == '=' || c == '@' || c == ',' || c == '+' || (c == '.' && i > 0);
    if (plain) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string export_file_name(const std::string& stream_dir, int64_t first, int64_t last) {
  return stream_dir + "-" + std::to_string(first) + "-" + std::to_string(last) + kSuffix;
}

std::optional<std::pair<int64_t, int64_t>> parse_export_file_name(const std::string& stream_dir,
                                                                  const std::string& name) {
  std::string_view n(name);
  std::string_view suffix(kSuffix);
  if (n.size() <= stream_dir.size() + 1 + suffix.size() || n.substr(0, stream_dir.size()) != stream_dir ||
      n[stream_dir.size()] != '-' || n.substr(n.size() - suffix.size()) != suffix)
    return std::nullopt;
  std::string_view mid = n.substr(stream_dir.size() + 1, n.size() - stream_dir.size() - 1 - suffix.size());
  size_t dash = mid.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view a = mid.substr(0, dash), b = mid.substr(dash + 1);
  if (!all_digits(a) || !all_digits(b)) return std::nullopt;
  return std::make_pair(std::stoll(std::string(a)), std::stoll(std::string(b)));
}

void fsync_dir(const std::string& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_fail("cannot open directory", dir);
  int rc = fsync(fd);
  int saved = errno;
  close(fd);
  errno = saved;
  if (rc != 0) io_fail("cannot fsync directory", dir);
}

void make_dirs_durable(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      io_fail("not a directory:", path);
    }
    return;
  }
  size_t slash = path.find_last_of('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  make_dirs_durable(parent);
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) io_fail("cannot create directory", path);
  fsync_dir(parent);
}

std::vector<std::string> list_files(const std::string& dir) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    io_fail("cannot list", dir);
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (stat((dir + "/" + name).c_str(), &st) == 0 && S_ISREG(st.st_mode)) out.push_back(name);
  }
  closedir(d);
  return out;
}

int64_t count_gzip_lines(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) io_fail("cannot open", path);
  int64_t lines = 0;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw ExportIoError("cannot read " + path + ": " + msg);
    }
    if (n == 0) break;
    for (int i = 0; i < n; ++i) lines += buf[i] == '\n';
  }
  gzclose(f);
  return lines;
}

GzipFile::GzipFile(std::string tmp_path) : tmp_path_(std::move(tmp_path)) {
  fd_ = open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) io_fail("cannot create", tmp_path_);
  // zlib closes its own descriptor; ours stays open for fsync after the
  // gzip stream is finished.
  int zfd = dup(fd_);
  if (zfd < 0 || !(gz_ = gzdopen(zfd, "wb6"))) {
    if (zfd >= 0) close(zfd);
    close(fd_);
    unlink(tmp_path_.c_str());
    io_fail("cannot start gzip in", tmp_path_);
  }
}

GzipFile::~GzipFile() {
  if (published_) return;
  if (gz_) gzclose(static_cast<gzFile>(gz_));
  if (fd_ >= 0) close(fd_);
  unlink(tmp_path_.c_str());
}

void GzipFile::write_line(std::string_view line) {
  auto* gz = static_cast<gzFile>(gz_);
  if ((!line.empty() && gzwrite(gz, line.data(), unsigned(line.size())) != int(line.size())) || gzputc(gz, '\n') != '\n') {
    int err = 0;
    std::string msg = gzerror(gz, &err);
    throw ExportIoError("cannot write " + tmp_path_ + ": " + (err == Z_ERRNO ? std::strerror(errno) : msg));
  }
  raw_bytes_ += int64_t(line.size()) + 1;
}

void GzipFile::publish(const std::string& dir, const std::string& name) {
  int rc = gzclose(static_cast<gzFile>(gz_));
  gz_ = nullptr;
  if (rc != Z_OK) io_fail("cannot finish gzip in", tmp_path_);
  if (fsync(fd_) != 0) io_fail("cannot fsync", tmp_path_);
  if (close(fd_) != 0) {
    fd_ = -1;
    io_fail("cannot close", tmp_path_);
  }
  fd_ = -1;
  make_dirs_durable(dir);
  std::string final_path = dir + "/" + name;
  if (rename(tmp_path_.c_str(), final_path.c_str()) != 0) io_fail("cannot rename into", final_path);
  published_ = true;
  fsync_dir(dir);
  size_t slash = tmp_path_.find_last_of('/');
  fsync_dir(slash == std::string::npos ? "." : tmp_path_.substr(0, slash));
}

}  // namespace pulse::load
