// See server.h.
#include "gateway/server.h"

#include <microhttpd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/json_scan.h"

namespace pulse::gateway {

using Clock = std::chrono::steady_clock;

struct Server::Request {
  Route route;
  bool body_phase = true;  // reading the body (false: queued or answered)
  std::string format = "json";
  std::string key;
  std::unique_ptr<BodyParser> parser;
  std::optional<Sha256Stream> fingerprint;
  size_t reserved = 0;
  size_t body_bytes = 0;
  size_t discarded = 0;
  Clock::time_point started = Clock::now();
  // An answer decided while the body still arrives (sent once it is read).
  int error_status = 0;
  std::string error_body;
  std::vector<std::pair<std::string, std::string>> error_headers;
  std::shared_ptr<Pending> pending;
};

namespace {

std::string error_json(const std::string& msg) { return "{\"error\":" + pulse::load::json_quote(msg) + "}"; }

MHD_Result access_cb(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                     const char* upload, size_t* upload_size, void** state) {
  return static_cast<Server*>(cls)->handle(connection, url, method, upload, upload_size, state) ? MHD_YES : MHD_NO;
}

void completed_cb(void* cls, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
  static_cast<Server*>(cls)->completed(state);
}

void connection_cb(void* cls, MHD_Connection*, void**, MHD_ConnectionNotificationCode code) {
  auto* m = static_cast<Metrics*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) ++m->connections;
  else --m->connections;
}

const char* header(MHD_Connection* c, const char* name) { return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name); }

}  // namespace

Server::Server(ServerOptions opts, TokenStore& tokens, Committer& committer, Metrics& metrics,
               pulse::load::Logger& log)
    : opts_(std::move(opts)), tokens_(tokens), committer_(committer), metrics_(metrics), log_(log) {}

Server::~Server() { stop(); }

bool Server::reserve(size_t n) {
  int64_t cur = held_bytes.load();
  for (;;) {
    if (cur + int64_t(n) > int64_t(opts_.queue_bytes)) return false;
    if (held_bytes.compare_exchange_weak(cur, cur + int64_t(n))) break;
  }
  metrics_.queue_bytes = held_bytes.load();
  return true;
}

void Server::release(size_t n) {
  held_bytes -= int64_t(n);
  metrics_.queue_bytes = held_bytes.load();
}

int Server::respond(void* connection, Request* r, int status, const std::string& body,
                    const std::vector<std::pair<std::string, std::string>>& headers, const char* content_type) {
  auto* c = static_cast<MHD_Connection*>(connection);
  MHD_Response* resp = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!resp) return 0;
  MHD_add_response_header(resp, "Content-Type", content_type);
  for (const auto& [k, v] : headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
  if (stopping_) MHD_add_response_header(resp, "Connection", "close");
  MHD_Result ok = MHD_queue_response(c, unsigned(status), resp);
  MHD_destroy_response(resp);
  metrics_.request(status);
  if (r) r->body_phase = false;
  return ok == MHD_YES;
}

int Server::handle(void* connection, const char* url, const char* method, const char* upload, size_t* upload_size,
                   void** state) {
  auto* c = static_cast<MHD_Connection*>(connection);
  auto* r = static_cast<Request*>(*state);
  const char* json = "application/json";
  if (r == nullptr) {
    // The headers are in: decide everything that needs no body now.
    r = new Request;
    *state = r;
    r->route = route(method, url);
    if (r->route.kind == RouteKind::kNotFound) return respond(c, r, 404, error_json("not found"), {}, json);
    if (!r->route.method_ok)
      return respond(c, r, 405, error_json("method not allowed"), {{"Allow", r->route.allow}}, json);
    if (r->route.kind == RouteKind::kHealth) {
      bool ok = committer_.database_up() && !stopping_;
      return respond(c, r, ok ? 200 : 503, ok ? "ok\n" : (stopping_ ? "stopping\n" : "database unavailable\n"), {},
                     "text/plain; charset=utf-8");
    }
    if (r->route.kind == RouteKind::kMetrics)
      return respond(c, r, 200, metrics_.text(), {}, "text/plain; version=0.0.4; charset=utf-8");
    if (stopping_)
      return respond(c, r, 503, error_json("the gateway is shutting down"), {{"Retry-After", "1"}}, json);
    const char* auth = header(c, "Authorization");
    std::optional<std::string> token = auth ? bearer_token(auth) : std::nullopt;
    if (!token || !tokens_.check(r->route.stream, *token))
      return respond(c, r, 401, error_json("a valid bearer token for this stream is required"),
                     {{"WWW-Authenticate", "Bearer realm=\"pulse\""}}, json);
    if (const char* f = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "format")) r->format = f;
    if (!known_format(r->format))
      return respond(c, r, 400,
                     error_json("unknown format \"" + r->format.substr(0, 40) +
                                "\": json, upbit, binance, coinone, twitter_v2 or twitter_v1"),
                     {}, json);
    const char* ct = header(c, "Content-Type");
    BodyKind kind = body_kind(ct ? ct : "", ct != nullptr);
    const char* enc = header(c, "Content-Encoding");
    if (kind == BodyKind::kUnsupported || (enc && strcasecmp(enc, "identity") != 0))
      return respond(c, r, 415,
                     error_json("send application/json (an array of records) or application/x-ndjson (a record a "
                                "line), UTF-8, not compressed"),
                     {}, json);
    if (const char* k = header(c, "Idempotency-Key")) {
      if (!valid_idempotency_key(k))
        return respond(c, r, 400, error_json("Idempotency-Key must be 1 to 200 printable ASCII characters"), {}, json);
      r->key = k;
      r->fingerprint.emplace();
      r->fingerprint->update(r->format);
      r->fingerprint->update(std::string_view("\n", 1));
    }
    size_t declared = 0;  // Content-Length, when given
    if (const char* cl = header(c, "Content-Length")) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(cl, &end, 10);
      if (n > opts_.body_limit)
        return respond(c, r, 413,
                       error_json("body of " + std::to_string(n) + " bytes is over the limit of " +
                                  std::to_string(opts_.body_limit) + " bytes"),
                       {}, json);
      declared = size_t(n);
    }
    if (!committer_.database_up())
      return respond(c, r, 503, error_json("the database is unavailable"), {{"Retry-After", "5"}}, json);
    // Bytes are reserved as they arrive (a client that declares much and
    // sends slowly holds only what it sent); one that cannot fit is told now.
    if (held_bytes.load() + int64_t(declared) > int64_t(opts_.queue_bytes))
      return respond(c, r, 429, error_json("the gateway's queue is full: the database is behind"),
                     {{"Retry-After", "1"}}, json);
    r->parser = std::make_unique<BodyParser>(kind, BodyLimits{opts_.max_record});
    return 1;
  }
  if (*upload_size > 0) {
    size_t n = *upload_size;
    *upload_size = 0;
    metrics_.body_bytes += n;
    if (r->error_status || !r->body_phase) {
      // Discard what follows an early answer; a body that goes on far past
      // the limit ends the connection.
      r->discarded += n;
      return r->discarded <= opts_.body_limit;
    }
    if (Clock::now() - r->started > std::chrono::seconds(opts_.request_timeout_s)) {
      log_.info("closing a connection whose request body took longer than " +
                std::to_string(opts_.request_timeout_s) + " s");
      return 0;
    }
    r->body_bytes += n;
    if (r->body_bytes > opts_.body_limit) {
      r->error_status = 413;
      r->error_body = error_json("body is over the limit of " + std::to_string(opts_.body_limit) + " bytes");
      r->parser.reset();
      return 1;
    }
    if (r->body_bytes > r->reserved) {
      size_t more = r->body_bytes - r->reserved;
      if (!reserve(more)) {
        r->error_status = 429;
        r->error_body = error_json("the gateway's queue is full: the database is behind");
        r->error_headers = {{"Retry-After", "1"}};
        r->parser.reset();
        return 1;
      }
      r->reserved += more;
    }
    if (r->fingerprint) r->fingerprint->update(std::string_view(upload, n));
    r->parser->feed(std::string_view(upload, n));
    return 1;
  }
  if (r->error_status) {
    int st = r->error_status;
    r->error_status = 0;
    return respond(c, r, st, r->error_body, r->error_headers, json);
  }
  if (r->pending) {
    // Resumed: the committer answered.
    return respond(c, r, r->pending->status, r->pending->body, r->pending->headers, json);
  }
  if (!r->body_phase) return 1;
  r->parser->finish();
  auto p = std::make_shared<Pending>();
  p->stream = r->route.stream;
  p->format = r->format;
  p->key = r->key;
  if (r->fingerprint) p->fingerprint = r->fingerprint->digest();
  p->items = std::move(r->parser->items());
  r->parser.reset();
  if (p->items.empty()) return respond(c, r, 200, response_json({}), {}, json);
  p->done = [c] { MHD_resume_connection(c); };
  r->pending = p;
  // Suspended before it is queued, so the committer's resume always finds
  // it suspended.
  MHD_suspend_connection(c);
  if (!committer_.submit(p)) {
    p->status = 503;
    p->body = error_json("the gateway is shutting down");
    p->headers = {{"Retry-After", "1"}};
    MHD_resume_connection(c);
  }
  return 1;
}

void Server::completed(void** state) {
  auto* r = static_cast<Request*>(*state);
  if (!r) return;
  release(r->reserved);
  delete r;
  *state = nullptr;
}

void Server::start() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(opts_.port);
  if (int e = getaddrinfo(opts_.host.c_str(), port.c_str(), &hints, &res); e != 0 || !res)
    throw std::runtime_error("cannot resolve --listen host \"" + opts_.host + "\": " + gai_strerror(e));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC;
  if (res->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
  bool tls = !opts_.tls_cert.empty();
  if (tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> o;
  o.push_back({MHD_OPTION_SOCK_ADDR, 0, res->ai_addr});
  o.push_back({MHD_OPTION_THREAD_POOL_SIZE, opts_.threads, nullptr});
  o.push_back({MHD_OPTION_CONNECTION_LIMIT, opts_.max_connections, nullptr});
  o.push_back({MHD_OPTION_CONNECTION_TIMEOUT, opts_.connection_timeout_s, nullptr});
  o.push_back({MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 << 10, nullptr});
  o.push_back({MHD_OPTION_NOTIFY_COMPLETED, intptr_t(&completed_cb), this});
  o.push_back({MHD_OPTION_NOTIFY_CONNECTION, intptr_t(&connection_cb), &metrics_});
  o.push_back({MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, nullptr});
  if (tls) {
    o.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(opts_.tls_key.c_str())});
    o.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(opts_.tls_cert.c_str())});
  }
  o.push_back({MHD_OPTION_END, 0, nullptr});
  daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &access_cb, this, MHD_OPTION_ARRAY, o.data(), MHD_OPTION_END);
  if (!daemon_)
    throw std::runtime_error("cannot listen on " + opts_.host + ":" + port + (tls ? " with TLS (check --tls-cert and --tls-key)" : "") +
                             ": " + std::strerror(errno));
}

uint16_t Server::port() const {
  const MHD_DaemonInfo* i = daemon_ ? MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT) : nullptr;
  return i ? i->port : 0;
}

unsigned Server::connections() const { return unsigned(std::max<int64_t>(0, metrics_.connections.load())); }

void Server::stop_accepting() {
  stopping_ = true;
  if (!daemon_) return;
  MHD_socket fd = MHD_quiesce_daemon(daemon_);
  if (fd != MHD_INVALID_SOCKET) close(fd);
}

void Server::stop() {
  if (daemon_) MHD_stop_daemon(daemon_);
  daemon_ = nullptr;
}

}  // namespace pulse::gateway
