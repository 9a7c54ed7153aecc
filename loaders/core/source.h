// What every pulse-load source shares: the run context handed to a source,
// the error types that map to exit codes, an HTTP GET with the retry rules
// (backoff with jitter for network errors and 5xx, Retry-After on 429, a
// fatal stop on 418), and run_loader(), which wires the logger, the database
// sink and the batching pipeline around a source and returns the exit code.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/backoff.h"
#include "core/batch.h"
#include "core/cli.h"
#include "core/http.h"
#include "core/log.h"
#include "core/pg_sink.h"
#include "core/progress.h"

namespace pulse::load {

// A fatal upstream error (exit 3): HTTP 418, 401/403, retries exhausted.
class UpstreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration error found after parsing (exit 2): unknown market, say.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RunContext {
  const Options& opts;
  Logger& log;
  Pipeline& out;
  // The checkpoint position the stream stopped at (JSON text), if any.
  std::optional<std::string> checkpoint;
  const std::atomic<bool>& stop;  // SIGINT/SIGTERM: stop reading, return
  // Where the source is, for progress lines: pages fetched, the position,
  // the extent of the work when known.
  Progress& progress;
};

// Retry policy for fetch(). Delays are before time_scale().
struct FetchPolicy {
  Millis base{500}, cap{60000};       // network errors and 5xx
  Millis default_429{60000};          // 429 without Retry-After
  int max_attempts = 12;              // then UpstreamError
  // Called on every response (any status) to pace the next request, e.g. from
  // rate-limit headers; returns how long to wait before the next request.
  std::function<Millis(const HttpResponse&)> pace;
  // Maps a non-retryable 4xx into an exception to throw (ConfigError for an
  // unknown market, say); when unset or returning normally, UpstreamError.
  std::function<void(const HttpResponse&)> on_client_error;
};

// GET with retries. Returns a 2xx response, or nullopt if stop was requested
// while waiting. Throws UpstreamError / ConfigError as the policy says.
std::optional<HttpResponse> fetch(HttpClient& http, const std::string& url, const std::vector<std::string>& headers,
                                  FetchPolicy& policy, Logger& log, const std::atomic<bool>& stop);

// The stream name's default and the body of a run. `source` fills ctx.out.
// Returns the process exit code; prints the summary.
int run_loader(const Options& opts, const std::string& default_stream,
               const std::function<void(RunContext&)>& source);

// The identity of a --file for default stream names: "stdin" for "-", else
// "<basename>:<12 hex digits>" hashing the canonical absolute path and the
// inode. Stable across runs on the same file (so a restart resumes from the
// checkpoint), different for two files loaded at once; a file replaced by a
// new one under the same name (a new inode) is a new stream. The basename is
// kept to [A-Za-z0-9._-] (others become '_') and 40 bytes, for readability.
std::string file_identity(const std::string& path);

// Builds a Logger from --log-format/--quiet (UsageError on a bad format).
Logger::Format log_format_from(const Options& opts);

}  // namespace pulse::load
