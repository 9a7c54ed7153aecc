// See tokens.h.
#include "gateway/tokens.h"

#include <nettle/memops.h>
#include <poll.h>

#include "core/backoff.h"
#include "core/pg_write.h"

namespace pulse::gateway {

using pulse::load::DbConnectError;
using pulse::load::DbError;
using pulse::load::PgConnPtr;
using pulse::load::PgResultPtr;

Sha256 sha256(std::string_view data) {
  Sha256Stream s;
  s.update(data);
  return s.digest();
}

Sha256Stream::Sha256Stream() { sha256_init(&ctx_); }
void Sha256Stream::update(std::string_view data) {
  sha256_update(&ctx_, data.size(), reinterpret_cast<const uint8_t*>(data.data()));
}
Sha256 Sha256Stream::digest() {
  Sha256 out;
  sha256_digest(&ctx_, out.size(), out.data());
  return out;
}

std::string hex(const Sha256& h) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t b : h) {
    s += d[b >> 4];
    s += d[b & 15];
  }
  return s;
}

TokenStore::TokenStore(std::string conninfo, std::chrono::milliseconds refresh, pulse::load::Logger& log)
    : conninfo_(std::move(conninfo)), refresh_(refresh), log_(log), table_(std::make_shared<Table>()) {}

TokenStore::~TokenStore() { stop(); }

std::shared_ptr<const TokenStore::Table> TokenStore::load(void* conn) {
  PGconn* c = static_cast<PGconn*>(conn);
  PgResultPtr r = pulse::load::query(
      c, "SELECT stream, encode(hash, 'hex') FROM pulse_internal.ingest_tokens WHERE revoked_at IS NULL", {},
      "cannot read the ingest tokens (the gateway's role needs pulse_gateway: GRANT pulse_gateway TO it)");
  auto t = std::make_shared<Table>();
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    std::string h = PQgetvalue(r.get(), i, 1);
    if (h.size() != 64) continue;
    Sha256 v;
    for (size_t k = 0; k < 32; ++k) v[k] = uint8_t(std::stoi(h.substr(2 * k, 2), nullptr, 16));
    (*t)[PQgetvalue(r.get(), i, 0)].push_back(v);
  }
  return t;
}

bool TokenStore::check(const std::string& stream, std::string_view token) const {
  Sha256 h = sha256(token);
  std::shared_ptr<const Table> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    t = table_;
  }
  auto it = t->find(stream);
  if (it == t->end()) return false;
  int match = 0;
  for (const Sha256& s : it->second) match |= memeql_sec(s.data(), h.data(), h.size());
  return match != 0;
}

void TokenStore::start() {
  PgConnPtr c = pulse::load::connect_writer(conninfo_, "pulse-gateway tokens");
  auto t = load(c.get());
  {
    std::lock_guard<std::mutex> lock(mu_);
    table_ = t;
  }
  thread_ = std::thread([this] { run(); });
}

void TokenStore::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TokenStore::run() {
  pulse::load::Backoff backoff(pulse::load::Millis(200), pulse::load::Millis(5000));
  while (!stopping_) {
    PgConnPtr c;
    try {
      c = pulse::load::connect_writer(conninfo_, "pulse-gateway tokens");
      pulse::load::query(c.get(), "LISTEN pulse_ingest_tokens", {}, "cannot LISTEN for token changes");
      auto t = load(c.get());
      std::lock_guard<std::mutex> lock(mu_);
      table_ = t;
      ++reloads_;
    } catch (const DbError& e) {
      log_.warn(std::string("ingest tokens: ") + e.what() + " (keeping the tokens read before; retrying)");
      auto wait = backoff.next();
      for (auto waited = pulse::load::Millis(0); waited < wait && !stopping_; waited += pulse::load::Millis(100))
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    backoff.reset();
    auto next = std::chrono::steady_clock::now() + refresh_;
    bool lost = false;
    while (!stopping_ && !lost) {
      // Wake every 200 ms to notice stop(); reload on a notification or
      // when the refresh interval is up.
      pollfd p{PQsocket(c.get()), POLLIN, 0};
      poll(&p, 1, 200);
      bool notified = false;
      if (PQconsumeInput(c.get()) != 1) {
        lost = true;
        break;
      }
      while (PGnotify* n = PQnotifies(c.get())) {
        notified = true;
        PQfreemem(n);
      }
      if (!notified && std::chrono::steady_clock::now() < next) continue;
      try {
        auto t = load(c.get());
        std::lock_guard<std::mutex> lock(mu_);
        table_ = t;
        ++reloads_;
      } catch (const DbError& e) {
        log_.warn(std::string("ingest tokens: ") + e.what() + " (keeping the tokens read before)");
        lost = PQstatus(c.get()) != CONNECTION_OK;
      }
      next = std::chrono::steady_clock::now() + refresh_;
    }
  }
}

}  // namespace pulse::gateway
