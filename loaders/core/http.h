// HTTP for the loaders over libcurl: one easy handle reused for keep-alive,
// TLS verified unless --insecure, gzip accepted, timeouts, response headers
// captured, and a streaming mode for long-lived chunked responses.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pulse::load {

struct HttpOptions {
  bool insecure = false;         // skip TLS verification (only on --insecure)
  long connect_timeout_ms = 10000;
  long low_speed_time_s = 30;    // abort when slower than 1 byte/s this long
  long total_timeout_ms = 0;     // 0: none (streams)
  // A buffered body larger than this is cut off and BodyTooLarge thrown: a
  // broken or hostile server cannot grow the loader without bound (pages are
  // well under 1 MB). PULSE_LOAD_MAX_BODY_BYTES overrides it (tests).
  size_t max_body_bytes = 64u << 20;
  std::string user_agent = "pulse-load/0.1";
  // When set and true, a running transfer stops soon (SIGINT/SIGTERM while
  // a request hangs), as abort() does.
  const std::atomic<bool>* stop = nullptr;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response
  // Case-insensitive header lookup (last occurrence).
  std::optional<std::string> header(std::string_view name) const;
};

// A transport failure (DNS, connect, TLS, reset, timeout, truncated body):
// worth retrying with backoff.
class NetworkError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A response body beyond HttpOptions::max_body_bytes (not retried).
class BodyTooLarge : public NetworkError {
 public:
  using NetworkError::NetworkError;
};

// Parses one raw header line ("Name: value\r\n") into the list; a status line
// ("HTTP/1.1 200 OK") starts a new response and clears the list (redirects,
// 100-continue). Exposed for unit tests.
void parse_header_line(std::string_view line, std::vector<std::pair<std::string, std::string>>& headers);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions opts = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET, body buffered. Throws NetworkError on transport failure; any HTTP
  // status is returned (callers decide what 4xx/5xx mean).
  HttpResponse get(const std::string& url, const std::vector<std::string>& headers = {});

  // GET, body handed to on_data chunk by chunk as it arrives (a chunked
  // stream). on_data returns false to stop; so does abort() from any thread.
  // The returned response has status and headers but an empty body (unless
  // the status is not 2xx: then the body is buffered for the error message).
  // Throws NetworkError on transport failure, not on a requested stop.
  // on_start (if set) sees the status and headers of a 2xx response before
  // its first data; it must not throw (it runs inside libcurl).
  HttpResponse stream(const std::string& url, const std::vector<std::string>& headers,
                      const std::function<bool(std::string_view)>& on_data,
                      const std::function<void(const HttpResponse&)>& on_start = {});

  // Thread-safe: makes a running stream() or get() return soon.
  void abort() { abort_.store(true); }
  void reset_abort() { abort_.store(false); }
  bool aborted() const { return abort_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HttpOptions opts_;
  std::atomic<bool> abort_{false};
  HttpResponse perform(const std::string& url, const std::vector<std::string>& headers,
                       const std::function<bool(std::string_view)>* on_data,
                       const std::function<void(const HttpResponse&)>* on_start = nullptr);
};

// Replaces scheme://host[:port] of `url` with `base` (from --api-url), keeping
// the path and query. `base` may carry a trailing slash.
std::string with_api_base(const std::string& url, const std::string& base);

// True when `url` parses (libcurl's URL parser) as http:// or https:// with a
// host: what --api-url accepts.
bool is_http_url(const std::string& url);

// Percent-encodes a query parameter value.
std::string url_encode(std::string_view s);

}  // namespace pulse::load
