// libcurl behind RAII (see http.h). One CURL easy handle lives as long as the
// client so the connection is kept alive between pages.
#include "core/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>

namespace pulse::load {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

struct Transfer {
  HttpResponse* resp;
  const std::function<bool(std::string_view)>* on_data;
  std::atomic<bool>* abort;
  const std::atomic<bool>* stop;
  size_t max_body = 0;
  bool stopped_by_callback = false;
  bool too_large = false;
  bool stopping() const { return abort->load() || (stop && stop->load()); }
};

size_t on_header(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  parse_header_line(std::string_view(p, size * n), t->resp->headers);
  return size * n;
}

size_t on_body(char* p, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  if (t->stopping()) return 0;
  if (t->on_data && *t->on_data) {
    if (!(*t->on_data)(std::string_view(p, len))) {
      t->stopped_by_callback = true;
      return 0;
    }
    return len;
  }
  if (t->resp->body.size() + len > t->max_body) {
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(p, len);
  return len;
}

int on_progress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(ud);
  return t->stopping() ? 1 : 0;
}

}  // namespace

void parse_header_line(std::string_view line, std::vector<std::pair<std::string, std::string>>& headers) {
  line = trim(line);
  if (line.empty()) return;
  if (line.rfind("HTTP/", 0) == 0) {
    headers.clear();
    return;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  headers.emplace_back(std::string(trim(line.substr(0, colon))), std::string(trim(line.substr(colon + 1))));
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (iequals(it->first, name)) return it->second;
  return std::nullopt;
}

struct HttpClient::Impl {
  CurlPtr curl;
};

HttpClient::HttpClient(HttpOptions opts) : impl_(std::make_unique<Impl>()), opts_(std::move(opts)) {
  global_init();
  if (const char* v = std::getenv("PULSE_LOAD_MAX_BODY_BYTES")) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(v, &end, 10);
    if (end != v && *end == '\0' && n > 0) opts_.max_body_bytes = static_cast<size_t>(n);
  }
  impl_->curl.reset(curl_easy_init());
  if (!impl_->curl) throw NetworkError("curl_easy_init failed");
}

HttpClient::~HttpClient() = default;

HttpResponse HttpClient::get(const std::string& url, const std::vector<std::string>& headers) {
  return perform(url, headers, nullptr);
}

HttpResponse HttpClient::stream(const std::string& url, const std::vector<std::string>& headers,
                                const std::function<bool(std::string_view)>& on_data,
                                const std::function<void(const HttpResponse&)>& on_start) {
  return perform(url, headers, &on_data, on_start ? &on_start : nullptr);
}

HttpResponse HttpClient::perform(const std::string& url, const std::vector<std::string>& headers,
                                 const std::function<bool(std::string_view)>* on_data,
                                 const std::function<void(const HttpResponse&)>* on_start) {
  CURL* c = impl_->curl.get();
  curl_easy_reset(c);  // keeps the connection cache: keep-alive survives
  HttpResponse resp;
  // Non-2xx bodies are buffered even in stream mode so the caller can report
  // them; the data callback is wrapped to decide per status.
  std::function<bool(std::string_view)> wrapped;
  bool started = false;
  if (on_data) {
    wrapped = [&](std::string_view chunk) {
      long status = 0;
      curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
      if (status < 200 || status >= 300) {
        // An error body is only for the message: keep its start.
        if (resp.body.size() < 65536) resp.body.append(chunk.substr(0, 65536 - resp.body.size()));
        return true;
      }
      if (!started && on_start) {
        resp.status = status;
        (*on_start)(resp);
      }
      started = true;
      return (*on_data)(chunk);
    };
  }
  Transfer t{&resp, on_data ? &wrapped : nullptr, &abort_, opts_.stop, opts_.max_body_bytes};
  SlistPtr hdrs;
  for (const auto& h : headers) {
    curl_slist* n = curl_slist_append(hdrs.get(), h.c_str());
    if (!n) throw NetworkError("out of memory building request headers");
    hdrs.release();
    hdrs.reset(n);
  }
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes (gzip, ...)
  curl_easy_setopt(c, CURLOPT_USERAGENT, opts_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, opts_.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opts_.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, opts_.total_timeout_ms);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opts_.insecure ? 0L : 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opts_.insecure ? 0L : 2L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs.get());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  if (t.too_large) {
    throw BodyTooLarge("response body larger than " + std::to_string(opts_.max_body_bytes) + " bytes from " +
                       url.substr(0, url.find('?')));
  }
  if (rc != CURLE_OK) {
    if (t.stopped_by_callback || t.stopping()) return resp;  // a requested stop
    std::string msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    throw NetworkError(msg);
  }
  return resp;
}

std::string with_api_base(const std::string& url, const std::string& base) {
  if (base.empty()) return url;
  auto scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + (path == std::string::npos ? "" : url.substr(path));
}

std::string url_encode(std::string_view s) {
  static const char* hexd = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += hexd[c >> 4];
      out += hexd[c & 15];
    }
  }
  return out;
}

bool is_http_url(const std::string& url) {
  if (url.find_first_of(" \t\r\n") != std::string::npos) return false;
  CURLU* u = curl_url();
  if (!u) return false;
  bool ok = false;
  if (curl_url_set(u, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
      std::string sc(scheme);
      ok = (sc == "http" || sc == "https") && host[0] != '\0';
    }
    curl_free(scheme);
    curl_free(host);
  }
  curl_url_cleanup(u);
  return ok;
}

}  // namespace pulse::load
