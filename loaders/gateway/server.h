// pulse-gateway's HTTP side, on GNU libmicrohttpd: a pool of threads each
// with its own epoll loop (a slow client costs a connection slot and its
// buffer, never a thread), a connection limit, an inactivity timeout, TLS
// through GnuTLS, and suspend/resume, so that a request waiting for its
// group commit holds no thread either.
//
// Memory: request bodies are parsed as they arrive and kept until answered;
// their bytes are reserved against --queue-bytes as they arrive, and a
// request that does not fit gets 429 with Retry-After (before its body is
// read when its Content-Length already says so). So memory follows the
// queue size, never the request rate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/log.h"
#include "gateway/committer.h"
#include "gateway/metrics.h"
#include "gateway/tokens.h"

struct MHD_Daemon;

namespace pulse::gateway {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string tls_cert, tls_key;  // PEM text; both or neither
  size_t body_limit = 16u << 20;
  size_t max_record = 1u << 20;
  size_t queue_bytes = 256u << 20;
  unsigned max_connections = 1000;
  unsigned connection_timeout_s = 30;  // inactivity
  unsigned request_timeout_s = 60;     // a whole body
  unsigned threads = 2;
};

class Server {
 public:
  Server(ServerOptions opts, TokenStore& tokens, Committer& committer, Metrics& metrics, pulse::load::Logger& log);
  ~Server();
  // Binds and starts serving (throws std::runtime_error).
  void start();
  uint16_t port() const;
  // SIGTERM: closes the listening socket; requests already in progress go
  // on, new ones on open connections get 503 with Connection: close.
  void stop_accepting();
  unsigned connections() const;
  void stop();

  // Internal (libmicrohttpd's callbacks).
  struct Request;
  int handle(void* connection, const char* url, const char* method, const char* upload, size_t* upload_size,
             void** state);
  void completed(void** state);
  std::atomic<int64_t> held_bytes{0};

 private:
  bool reserve(size_t n);
  void release(size_t n);
  int respond(void* connection, Request* r, int status, const std::string& body,
              const std::vector<std::pair<std::string, std::string>>& headers, const char* content_type);
  ServerOptions opts_;
  TokenStore& tokens_;
  Committer& committer_;
  Metrics& metrics_;
  pulse::load::Logger& log_;
  MHD_Daemon* daemon_ = nullptr;
  std::atomic<bool> stopping_{false};
};

}  // namespace pulse::gateway
