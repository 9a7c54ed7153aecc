// See source.h.
#include "core/source.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace pulse::load {

std::optional<HttpResponse> fetch(HttpClient& http, const std::string& url, const std::vector<std::string>& headers,
                                  FetchPolicy& policy, Logger& log, const std::atomic<bool>& stop) {
  Backoff backoff(policy.base, policy.cap);
  for (int attempt = 1;; ++attempt) {
    if (stop.load()) return std::nullopt;
    Millis wait{0};
    std::string why;
    try {
      HttpResponse r = http.get(url, headers);
      if (stop.load()) return std::nullopt;  // the transfer may have been cut short
      Millis pace = policy.pace ? policy.pace(r) : Millis(0);
      if (r.status >= 200 && r.status < 300) {
        if (pace.count() > 0 && !sleep_unless(pace, stop)) {
          // Stopping: the response is still good; hand it over.
        }
        return r;
      }
      if (r.status == 418) {
        throw UpstreamError("HTTP 418 from " + url + ": the exchange has banned this IP for breaking its rate limits" +
                            (r.header("Retry-After") ? " (Retry-After " + *r.header("Retry-After") + " s)" : "") +
                            "; stopping");
      }
      if (r.status == 429) {
        auto ra = r.header("Retry-After");
        auto d = ra ? parse_retry_after(*ra) : std::nullopt;
        wait = std::max(d.value_or(policy.default_429), pace);
        why = "HTTP 429 (rate limited)";
      } else if (r.status >= 500) {
        wait = std::max(backoff.next(), pace);
        why = "HTTP " + std::to_string(r.status);
      } else {
        if (policy.on_client_error) policy.on_client_error(r);
        std::string body = r.body.substr(0, 300);
        throw UpstreamError("HTTP " + std::to_string(r.status) + " from " + url + ": " + body);
      }
    } catch (const BodyTooLarge& e) {
      throw UpstreamError(e.what());  // asking again brings the same body
    } catch (const NetworkError& e) {
      if (stop.load()) return std::nullopt;
      wait = backoff.next();
      why = std::string("network error: ") + e.what();
    }
    if (attempt >= policy.max_attempts) {
      throw UpstreamError("giving up on " + url + " after " + std::to_string(attempt) + " attempts: " + why);
    }
    log.log("warn", why + ", retrying", {{"url", url}, {"wait_ms", std::to_string(scaled(wait).count())}});
    if (!sleep_unless(wait, stop)) return std::nullopt;
  }
}

std::string file_identity(const std::string& path) {
  if (path == "-") return "stdin";
  std::string canonical = path;
  if (char* rp = ::realpath(path.c_str(), nullptr)) {
    canonical = rp;
    std::free(rp);
  }
  struct stat st {};
  unsigned long long ino = ::stat(canonical.c_str(), &st) == 0 ? static_cast<unsigned long long>(st.st_ino) : 0;
  // FNV-1a, 64 bits: the same on every build and platform.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&](const std::string& s) {
    for (unsigned char ch : s) {
      h ^= ch;
      h *= 1099511628211ULL;
    }
    h ^= 0;  // a NUL byte between the parts
    h *= 1099511628211ULL;
  };
  mix(canonical);
  mix(std::to_string(ino));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  std::string base = canonical.substr(canonical.find_last_of('/') == std::string::npos ? 0 : canonical.find_last_of('/') + 1);
  for (char& ch : base) {
    bool keep = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
                ch == '_' || ch == '-';
    if (!keep) ch = '_';
  }
  if (base.size() > 40) base.resize(40);
  if (base.empty()) base = "file";
  return base + ":" + std::string(hex, 12);
}

Logger::Format log_format_from(const Options& opts) {
  std::string f = opts.get_or("log-format", "text");
  if (f == "text") return Logger::Format::kText;
  if (f == "json") return Logger::Format::kJson;
  throw UsageError("--log-format must be text or json, got \"" + f + "\"");
}

int run_loader(const Options& opts, const std::string& default_stream,
               const std::function<void(RunContext&)>& source) {
  Logger log(log_format_from(opts), opts.has("quiet"));
  BatchLimits limits;
  // Defaults: the flag table in cli.cpp (what --help shows).
  limits.rows = size_t(opts.get_int("batch-rows", 1, 10000000));
  limits.bytes = size_t(opts.get_int("batch-bytes", 1, 1LL << 34));
  limits.interval = Millis(opts.get_int("flush-interval", 1, 86400000));
  int progress_interval = int(opts.get_int("progress-interval", 0, 86400));
  std::string stream = opts.get_or("stream", default_stream);
  if (stream.empty()) throw UsageError("--stream must not be empty");

  install_stop_handlers();
  auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  std::optional<PgSink> sink;
  try {
    SinkOptions so;
    so.conninfo = opts.get_or("db", "");
    so.stream = stream;
    // PostgreSQL keeps 63 bytes of it (and says so in a NOTICE libpq would
    // print raw): shorten in the middle, keeping the stream name's end, which
    // for files is the identity hash.
    so.application_name = "pulse-load " + opts.command + " " + stream;
    if (so.application_name.size() > 63)
      so.application_name = so.application_name.substr(0, 47) + ".." + so.application_name.substr(so.application_name.size() - 14);
    so.wait_for_stream = opts.has("wait-for-stream");
    sink.emplace(std::move(so), log);
  } catch (const DbError& e) {
    log.error(e.what());
    return e.exit_code;
  } catch (const StoppedWaiting& e) {
    log.log("info", e.what(), {{"stream", stream}});
    return kExitOk;
  }
  Pipeline pipeline(*sink, limits, log);
  std::optional<std::string> cp;
  if (sink->checkpoint()) cp = sink->checkpoint()->position;
  Progress progress;
  std::optional<ProgressReporter> reporter;
  reporter.emplace(log, progress, [&pipeline] { return pipeline.counts(); }, progress_interval);
  RunContext ctx{opts, log, pipeline, cp, stop_requested(), progress};
  if (cp) log.log("info", "resuming from checkpoint", {{"stream", stream}, {"position", *cp}});
  int code = kExitOk;
  std::string source_error;
  try {
    source(ctx);
  } catch (const ConfigError& e) {
    source_error = e.what();
    code = kExitUsage;
  } catch (const UsageError& e) {
    source_error = e.what();
    code = kExitUsage;
  } catch (const UpstreamError& e) {
    source_error = e.what();
    code = kExitUpstream;
  } catch (const DbError& e) {
    source_error = e.what();
    code = e.exit_code;
  } catch (const std::exception& e) {
    source_error = e.what();
    code = kExitUpstream;
  }
  // Whatever the source did, commit what was read before it stopped.
  Counts counts;
  try {
    counts = pipeline.finish();
  } catch (const DbError& e) {
    reporter.reset();
    // The writer's failure reaches the source too (Pipeline::add rethrows
    // it); say it once.
    if (!source_error.empty() && source_error != e.what()) log.error(source_error);
    log.error(e.what());
    counts = pipeline.counts();
    counts.pages = progress.snapshot().pages;
    log.summary(counts, seconds());
    return e.exit_code;
  }
  reporter.reset();
  if (!source_error.empty()) log.error(source_error);
  counts.pages = progress.snapshot().pages;
  log.summary(counts, seconds());
  return code;
}

}  // namespace pulse::load
