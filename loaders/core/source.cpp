// See source.h.
#include "core/source.h"

#include <chrono>

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
  limits.rows = size_t(opts.get_int("batch-rows", 5000, 1, 10000000));
  limits.bytes = size_t(opts.get_int("batch-bytes", 8 << 20, 1, 1LL << 34));
  limits.interval = Millis(opts.get_int("flush-interval", 1000, 1, 86400000));
  std::string stream = opts.get_or("stream", default_stream);
  if (stream.empty()) throw UsageError("--stream must not be empty");

  install_stop_handlers();
  auto started = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  std::optional<PgSink> sink;
  try {
    sink.emplace(opts.get_or("db", ""), stream, log);
  } catch (const DbError& e) {
    log.error(e.what());
    return kExitDatabase;
  }
  Pipeline pipeline(*sink, limits, log);
  std::optional<std::string> cp;
  if (sink->checkpoint()) cp = sink->checkpoint()->position;
  RunContext ctx{opts, log, pipeline, cp, stop_requested()};
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
    code = kExitDatabase;
  } catch (const std::exception& e) {
    source_error = e.what();
    code = kExitUpstream;
  }
  // Whatever the source did, commit what was read before it stopped.
  Counts counts;
  try {
    counts = pipeline.finish();
  } catch (const DbError& e) {
    if (!source_error.empty()) log.error(source_error);
    log.error(e.what());
    log.summary(pipeline.counts(), seconds());
    return kExitDatabase;
  }
  if (!source_error.empty()) log.error(source_error);
  log.summary(counts, seconds());
  return code;
}

}  // namespace pulse::load
