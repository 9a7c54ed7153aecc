// See config.h.
#include "core/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/cli.h"

namespace pulse::load {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr off_t kMaxBytes = 1 << 20;

// Opens `path` and checks it is a regular file of at most kMaxBytes; the
// checks look at the opened file (fstat), not at the name, so the file
// cannot be swapped between check and read.
void open_regular(const std::string& path, const std::string& what, Fd& f, struct stat& st) {
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (f.fd < 0) throw UsageError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  if (::fstat(f.fd, &st) != 0) throw UsageError("cannot read " + what + " " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw UsageError(what + " " + path + " is not a regular file");
  if (st.st_size > kMaxBytes) throw UsageError(what + " " + path + " is larger than 1 MiB");
}

std::string read_fd(const std::string& path, const std::string& what, int fd) {
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw UsageError("cannot read " + what + " " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > size_t(kMaxBytes)) throw UsageError(what + " " + path + " is larger than 1 MiB");
  }
  return out;
}

}  // namespace

std::string read_config_file(const std::string& path) {
  Fd f;
  struct stat st {};
  open_regular(path, "--config", f, st);
  return read_fd(path, "--config", f.fd);
}

std::string read_secret_file(const std::string& path, const std::string& what) {
  Fd f;
  struct stat st {};
  open_regular(path, what, f, st);
  if (st.st_uid != ::geteuid())
    throw UsageError(what + " " + path + " belongs to uid " + std::to_string(st.st_uid) + ", not to this user (uid " +
                     std::to_string(::geteuid()) + "): chown it to the user that runs pulse-load");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    throw UsageError(what + " " + path + " is open to group or others (mode " + mode + "): chmod 600 " + path);
  }
  std::string s = read_fd(path, what, f.fd);
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) throw UsageError(what + " " + path + " is empty");
  s = s.substr(b, e - b + 1);
  if (s.find_first_of("\r\n") != std::string::npos)
    throw UsageError(what + " " + path + " holds more than one line; it must hold the token alone");
  return s;
}

}  // namespace pulse::load
