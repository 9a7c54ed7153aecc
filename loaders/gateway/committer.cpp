// See committer.h.
#include "gateway/committer.h"

#include <algorithm>
#include <climits>
#include <random>
#include <cstring>
#include <unordered_map>

#include "core/backoff.h"
#include "core/cli.h"
#include "core/json_scan.h"

namespace pulse::gateway {

using pulse::load::ApplyCounts;
using pulse::load::ApplyOutcome;
using pulse::load::DbConnectError;
using pulse::load::DbError;
using pulse::load::PgResultPtr;
using pulse::load::Record;
using Clock = std::chrono::steady_clock;

namespace {

std::string error_json(const std::string& msg) { return "{\"error\":" + pulse::load::json_quote(msg) + "}"; }

PgResultPtr exec_params(PGconn* c, const char* sql, std::initializer_list<const char*> params) {
  std::vector<const char*> p(params);
  return PgResultPtr(PQexecParams(c, sql, int(p.size()), nullptr, p.data(), nullptr, nullptr, 0));
}

std::string random_nonce() {
  static thread_local std::random_device rd;
  static const char* d = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 4; ++i) {
    uint32_t v = rd();
    for (int k = 0; k < 8; ++k, v >>= 4) s += d[v & 15];
  }
  return s;
}

bool result_ok(const PgResultPtr& r) {
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

}  // namespace

Committer::Committer(CommitterOptions opts, Metrics& metrics, pulse::load::Logger& log)
    : opts_(std::move(opts)), metrics_(metrics), log_(log) {}

Committer::~Committer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Committer::on_notice(void* self, const PGresult* res) {
  auto* c = static_cast<Committer*>(self);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  std::string msg = primary ? primary : PQresultErrorMessage(res);
  if (msg.find("already applied") != std::string::npos) c->already_applied_notice_ = true;
  const char* sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
  c->log_.log(sev && std::string(sev) == "WARNING" ? "warn" : "info",
              "server " + std::string(sev ? sev : "NOTICE") + ": " + pulse::load::one_line(msg));
}

void Committer::connect() {
  int previous_pid = backend_pid_;
  conn_.reset();
  leases_.clear();
  pulse::load::PgConnPtr c = pulse::load::connect_writer(opts_.conninfo, "pulse-gateway", &Committer::on_notice, this);
  try {
    pulse::load::check_writer(c.get());
  } catch (const DbError& e) {
    // A role that is not even a writer: name the gateway's role instead.
    if (e.sqlstate != "42501") throw;
    std::string msg = e.what();
    auto at = msg.find("needs pulse_writer: GRANT pulse_writer TO ");
    if (at != std::string::npos) msg = msg.substr(0, at) + "needs pulse_gateway: GRANT pulse_gateway TO " +
                                       msg.substr(at + std::strlen("needs pulse_writer: GRANT pulse_writer TO "));
    throw DbError(msg, e.sqlstate, e.exit_code);
  }
  // What the gateway adds to a loader's rights: the token hashes and the
  // idempotency keys (role pulse_gateway).
  PgResultPtr r = pulse::load::query(
      c.get(),
      "SELECT quote_ident(current_user), coalesce(has_table_privilege(to_regclass('pulse_internal.ingest_keys'), 'INSERT')"
      " AND has_table_privilege(to_regclass('pulse_internal.ingest_keys'), 'SELECT')"
      " AND has_table_privilege(to_regclass('pulse_internal.ingest_keys'), 'DELETE')"
      " AND has_column_privilege(to_regclass('pulse_internal.ingest_tokens'), 'hash', 'SELECT'), false)",
      {}, "cannot check the role's privileges");
  if (std::string(PQgetvalue(r.get(), 0, 1)) != "t") {
    std::string role = PQgetvalue(r.get(), 0, 0);
    throw DbError("role " + role + " may not run the gateway: it needs pulse_gateway (GRANT pulse_gateway TO " + role +
                      "); an extension before 0.2.0 has no ingest tokens (ALTER EXTENSION pulse UPDATE)",
                  "42501", pulse::load::kExitUsage);
  }
  if (previous_pid != 0 && pulse::load::end_previous_session(c.get(), previous_pid))
    log_.warn("ended the gateway's previous database session (pid " + std::to_string(previous_pid) +
              "), which still held stream leases");
  PgResultPtr made(PQexec(c.get(), pulse::load::kEnsureLandingSql));
  if (!made || PQresultStatus(made.get()) != PGRES_TUPLES_OK)
    log_.info("could not create the current landing partitions yet: " +
              pulse::load::result_error(c.get(), made.get(), nullptr));
  conn_ = std::move(c);
  backend_pid_ = PQbackendPID(conn_.get());
  metrics_.database_up = 1;
}

void Committer::start() {
  connect();
  thread_ = std::thread([this] { run(); });
}

bool Committer::submit(std::shared_ptr<Pending> p) {
  std::lock_guard<std::mutex> lock(mu_);
  if (draining_) return false;
  p->queued_at = Clock::now();
  ++metrics_.queue_requests;
  queue_.push_back(std::move(p));
  cv_.notify_all();
  return true;
}

bool Committer::drain(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mu_);
  draining_ = true;
  cv_.notify_all();
  return cv_drained_.wait_for(lock, limit, [&] { return finished_; });
}

void Committer::answer(Pending& p, int status, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers) {
  p.status = status;
  p.body = std::move(body);
  p.headers = std::move(headers);
  --metrics_.queue_requests;
  if (status == 200 && !p.skip) {
    for (const auto& r : p.results) (r.seq > 0 ? metrics_.records_accepted : metrics_.records_rejected)++;
  }
  metrics_.ack_seconds.observe(std::chrono::duration<double>(Clock::now() - p.queued_at).count());
  if (p.done) p.done();
}

void Committer::run() {
  for (;;) {
    std::vector<std::shared_ptr<Pending>> group, expired;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return !queue_.empty() || draining_; });
      if (!queue_.empty() && opts_.batch_wait.count() > 0 && !draining_)
        cv_.wait_for(lock, opts_.batch_wait);
      take_expired(expired);
      size_t records = 0, bytes = 0;
      while (!queue_.empty()) {
        const Pending& p = *queue_.front();
        size_t b = 0;
        for (const auto& it : p.items) b += it.payload.size() + it.raw.size();
        if (!group.empty() && (records + p.items.size() > opts_.batch_records || bytes + b > opts_.batch_bytes)) break;
        records += p.items.size();
        bytes += b;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (group.empty() && expired.empty() && draining_) {
        finished_ = true;
        cv_drained_.notify_all();
        return;
      }
    }
    answer_expired(expired);
    if (!group.empty()) commit_group(group);
    else check_connection();
    housekeeping();
  }
}

void Committer::take_expired(std::vector<std::shared_ptr<Pending>>& out) {
  // Requests that waited too long (the database was away) are answered 503
  // and never written: none of them is in a transaction yet.
  auto now = Clock::now();
  while (!queue_.empty() && now - queue_.front()->queued_at > opts_.queue_timeout) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

void Committer::answer_expired(std::vector<std::shared_ptr<Pending>>& expired) {
  for (auto& p : expired)
    answer(*p, 503, error_json("the database did not take this request in time; nothing of it was stored"),
           {{"Retry-After", "5"}});
  expired.clear();
}

std::string Committer::lease(const std::string& stream) {
  auto it = leases_.find(stream);
  if (it != leases_.end()) {
    it->second.used = Clock::now();
    return "";
  }
  PgResultPtr r = pulse::load::query(conn_.get(), pulse::load::kLeaseTrySql, {stream.c_str()},
                                     "cannot take the stream's lease");
  if (std::string(PQgetvalue(r.get(), 0, 0)) != "t") {
    int pid = 0;
    return "stream \"" + stream + "\" is being written by " +
           pulse::load::describe_stream_holder(conn_.get(), stream, &pid) +
           "; a stream has one writer at a time (a pulse-load or one gateway)";
  }
  auto cp = pulse::load::read_checkpoint(conn_.get(), stream);
  leases_[stream] = Lease{cp ? cp->batch_id + 1 : 1, Clock::now()};
  return "";
}

bool Committer::committed_before(const Probe& p) {
  PgResultPtr r = pulse::load::query(
      conn_.get(),
      "SELECT EXISTS (SELECT 1 FROM pulse_internal.landing_positions WHERE stream = $1 AND batch_id = $2::bigint"
      "                  AND chunk_pos BETWEEN $3::bigint - 1048575 AND $3::bigint AND pos = $3::bigint AND txid = $4::xid8)"
      "    OR EXISTS (SELECT 1 FROM pulse.checkpoints WHERE stream = $1 AND position->>'commit' = $5)",
      {p.stream.c_str(), p.batch_id.c_str(), p.pos.c_str(), p.xid.c_str(), p.nonce.c_str()},
      "cannot ask whether the last commit made it");
  return std::string(PQgetvalue(r.get(), 0, 0)) == "t";
}

void Committer::check_connection() {
  // While idle, look at the connection every few seconds, so that /healthz
  // and new requests learn of an outage (and of the recovery) before a
  // commit fails.
  auto now = Clock::now();
  if (now - last_check_ < std::chrono::seconds(2)) return;
  last_check_ = now;
  if (conn_) {
    PgResultPtr r(PQexec(conn_.get(), "SELECT 1"));
    if (r && PQresultStatus(r.get()) == PGRES_TUPLES_OK) {
      metrics_.database_up = 1;
      return;
    }
    log_.warn("database connection lost: " + pulse::load::result_error(conn_.get(), r.get(), nullptr));
  }
  metrics_.database_up = 0;
  try {
    connect();
    log_.info("database connection restored");
  } catch (const DbError& e) {
    conn_.reset();
    log_.warn(std::string("database: ") + e.what() + " (retrying)");
  }
}

void Committer::housekeeping() {
  auto now = Clock::now();
  auto every = std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(60), opts_.lease_idle / 2);
  if (!conn_ || now - last_housekeeping_ < every) return;
  last_housekeeping_ = now;
  // Idle streams give their lease back (another writer may take them), and
  // expired idempotency keys go.
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (now - it->second.used < opts_.lease_idle) {
      ++it;
      continue;
    }
    PgResultPtr r = exec_params(conn_.get(), "SELECT pg_advisory_unlock(hashtextextended('pulse.stream:' || $1, 0))",
                                {it->first.c_str()});
    it = leases_.erase(it);
  }
  PgResultPtr d(PQexec(conn_.get(), "DELETE FROM pulse_internal.ingest_keys WHERE expires_at < now()"));
  if (!result_ok(d)) log_.warn("could not delete expired idempotency keys: " + pulse::load::result_error(conn_.get(), d.get(), nullptr));
}

bool Committer::attempt(std::vector<std::shared_ptr<Pending>>& live, bool isolate, std::string& xid, std::string& err,
                        std::string& sqlstate) {
  PGconn* c = conn_.get();
  xid.clear();
  already_applied_notice_ = false;
  probe_ = Probe{};
  probe_.nonce = random_nonce();
  if (!pulse::load::exec_ok(c, "BEGIN", err, sqlstate)) return false;
  auto fail = [&] {
    PgResultPtr rb(PQexec(c, "ROLLBACK"));
    return false;
  };
  auto query_failed = [&](const PgResultPtr& r) {
    err = pulse::load::result_error(c, r.get(), &sqlstate);
    return fail();
  };
  for (auto& p : live) {
    p->skip = false;
    p->results.assign(p->items.size(), ItemResult{});
  }
  // Idempotency-Keys seen before (and not expired): answered as they were
  // the first time, and not written again.
  std::string keys_json;
  for (auto& p : live) {
    if (p->key.empty()) continue;
    keys_json += keys_json.empty() ? "[" : ",";
    keys_json += "{\"stream\":" + pulse::load::json_quote(p->stream) + ",\"key\":" + pulse::load::json_quote(p->key) + "}";
  }
  if (!keys_json.empty()) {
    keys_json += "]";
    PgResultPtr d = exec_params(c,
                                "DELETE FROM pulse_internal.ingest_keys i USING jsonb_to_recordset($1::jsonb) AS k(stream text, key text)"
                                " WHERE i.stream = k.stream AND i.key = k.key AND i.expires_at <= now()",
                                {keys_json.c_str()});
    if (!result_ok(d)) return query_failed(d);
    PgResultPtr r = exec_params(c,
                                "SELECT i.stream, i.key, encode(i.fingerprint, 'hex'), i.response"
                                "  FROM pulse_internal.ingest_keys i JOIN jsonb_to_recordset($1::jsonb) AS k(stream text, key text)"
                                "    ON i.stream = k.stream AND i.key = k.key",
                                {keys_json.c_str()});
    if (!result_ok(r)) return query_failed(r);
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      std::string s = PQgetvalue(r.get(), i, 0), k = PQgetvalue(r.get(), i, 1), fp = PQgetvalue(r.get(), i, 2);
      for (auto& p : live) {
        if (p->stream != s || p->key != k) continue;
        p->skip = true;
        if (fp == hex(p->fingerprint)) {
          p->status = 200;
          p->body = PQgetvalue(r.get(), i, 3);
          p->headers = {{"Idempotent-Replayed", "true"}};
        } else {
          p->status = 422;
          p->body = error_json("Idempotency-Key \"" + k + "\" was used with a different request to this stream");
          p->headers = {};
        }
      }
    }
  }
  // One batch per stream: each request's records in order, a cleaned
  // record's note (with its original bytes) just before it.
  struct StreamBatch {
    std::vector<Record> records;
    std::vector<Pending*> reqs;
  };
  std::map<std::string, StreamBatch> batches;
  for (auto& p : live) {
    if (p->skip) continue;
    StreamBatch& sb = batches[p->stream];
    sb.reqs.push_back(p.get());
    p->batch_index.assign(p->items.size(), SIZE_MAX);
    for (size_t i = 0; i < p->items.size(); ++i) {
      const Item& it = p->items[i];
      if (!it.note.empty()) sb.records.push_back(Record{p->format, it.raw, it.note});
      if (it.reject.empty()) {
        p->batch_index[i] = sb.records.size();
        sb.records.push_back(Record{p->format, it.payload, ""});
      } else {
        sb.records.push_back(Record{p->format, it.raw, it.reject});
      }
    }
  }
  for (auto& [stream, sb] : batches) {
    Lease& l = leases_.at(stream);
    std::string id = std::to_string(l.next_batch);
    int64_t rejected = 0;
    std::vector<pulse::load::Refused> refused;
    if (!pulse::load::send_batch_rows(c, stream, l.next_batch, sb.records, /*chunks=*/true, isolate, &rejected, &refused, err, sqlstate))
      return fail();
    // The positions the records got (received_at is this transaction's
    // now(), which also prunes the scan to the current partition).
    PgResultPtr r = exec_params(c,
                                "SELECT seq, pos FROM pulse_internal.landing_positions"
                                " WHERE stream = $1 AND batch_id = $2::bigint AND received_at = now()",
                                {stream.c_str(), id.c_str()});
    if (!result_ok(r)) return query_failed(r);
    std::vector<long long> pos(sb.records.size(), 0);
    long long last = 0;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      long long seq = std::stoll(PQgetvalue(r.get(), i, 0));
      long long v = std::stoll(PQgetvalue(r.get(), i, 1));
      if (seq >= 1 && size_t(seq) <= pos.size()) pos[seq - 1] = v;
      last = std::max(last, v);
    }
    std::unordered_map<size_t, std::string> refused_at;
    for (auto& rf : refused) refused_at[rf.index] = std::move(rf.reason);
    for (Pending* p : sb.reqs) {
      for (size_t i = 0; i < p->items.size(); ++i) {
        ItemResult& res = p->results[i];
        size_t bi = p->batch_index[i];
        if (bi == SIZE_MAX) {
          res.error = p->items[i].reject;
        } else if (pos[bi] > 0) {
          res.seq = pos[bi];
          res.note = p->items[i].note;
        } else if (auto f = refused_at.find(bi); f != refused_at.end()) {
          res.error = f->second;
        } else {
          err = "record " + std::to_string(bi + 1) + " of batch " + id + " of stream \"" + stream +
                "\" is missing from pulse.landing after the COPY";
          sqlstate = "XX000";
          return fail();
        }
      }
    }
    std::string checkpoint = "{\"source\":\"pulse-gateway\",\"last_seq\":" + std::to_string(last) +
                             ",\"commit\":\"" + probe_.nonce + "\"}";
    ApplyCounts counts;
    std::string at;
    ApplyOutcome a = pulse::load::apply_batch_checked(c, stream, l.next_batch, checkpoint, already_applied_notice_,
                                                      counts, &at, &xid, err, sqlstate);
    if (a == ApplyOutcome::kFailed) return fail();
    if (probe_.stream.empty()) {
      probe_.stream = stream;
      probe_.batch_id = id;
      probe_.xid = xid;
      for (long long v : pos)
        if (v > 0) {
          probe_.pos = std::to_string(v);
          break;
        }
    }
    if (a == ApplyOutcome::kNotApplied) {
      fail();
      // Someone moved the checkpoint despite our lease (a superuser's
      // apply_batch by hand): continue from where it is now.
      err = "batch " + id + " of stream \"" + stream + "\" was not applied: the checkpoint is at batch " + at;
      sqlstate = "40001";
      auto cp = pulse::load::read_checkpoint(c, stream);
      l.next_batch = (cp ? cp->batch_id : 0) + 1;
      return false;
    }
  }
  for (auto& p : live) {
    if (p->skip) continue;
    p->status = 200;
    p->body = response_json(p->results);
    p->headers = {};
  }
  std::string keep;
  for (auto& p : live) {
    if (p->key.empty() || p->skip) continue;
    keep += keep.empty() ? "[" : ",";
    keep += "{\"stream\":" + pulse::load::json_quote(p->stream) + ",\"key\":" + pulse::load::json_quote(p->key) +
            ",\"fp\":\"" + hex(p->fingerprint) + "\",\"response\":" + pulse::load::json_quote(p->body) + "}";
  }
  if (!keep.empty()) {
    keep += "]";
    std::string ttl = std::to_string(opts_.key_ttl.count()) + " seconds";
    PgResultPtr r = exec_params(c,
                                "INSERT INTO pulse_internal.ingest_keys (stream, key, fingerprint, response, expires_at)"
                                " SELECT k.stream, k.key, decode(k.fp, 'hex'), k.response, now() + $2::interval"
                                "   FROM jsonb_to_recordset($1::jsonb) AS k(stream text, key text, fp text, response text)",
                                {keep.c_str(), ttl.c_str()});
    if (!result_ok(r)) return query_failed(r);
  }
  probe_.commit_sent = true;
  if (!pulse::load::exec_ok(c, "COMMIT", err, sqlstate)) return fail();
  for (auto& [stream, sb] : batches) ++leases_.at(stream).next_batch;
  return true;
}

void Committer::commit_group(std::vector<std::shared_ptr<Pending>>& group) {
  auto t0 = Clock::now();
  // A key repeated inside the group (a client retrying before its first
  // try was answered): the first is written, the others get its answer.
  std::map<std::pair<std::string, std::string>, Pending*> first;
  std::vector<std::pair<Pending*, Pending*>> followers;
  std::vector<std::shared_ptr<Pending>> todo;
  for (auto& p : group) {
    if (!p->key.empty()) {
      auto [it, fresh] = first.emplace(std::make_pair(p->stream, p->key), p.get());
      if (!fresh) {
        followers.emplace_back(p.get(), it->second);
        continue;
      }
    }
    todo.push_back(p);
  }
  pulse::load::Backoff backoff(pulse::load::Millis(100), pulse::load::Millis(5000));
  bool isolate = false, made_landing = false;
  bool uncertain = false;  // a COMMIT whose outcome we did not hear
  int retries = 0;
  std::vector<std::shared_ptr<Pending>> live;
  bool committed = false;
  for (;;) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) {
      try {
        connect();
      } catch (const DbError& e) {
        metrics_.database_up = 0;
        log_.warn(std::string("database: ") + e.what() + " (retrying)");
        std::this_thread::sleep_for(backoff.next());
        // Those queued behind this group meanwhile get their 503 in time.
        std::vector<std::shared_ptr<Pending>> expired;
        {
          std::lock_guard<std::mutex> lock(mu_);
          take_expired(expired);
        }
        answer_expired(expired);
        continue;
      }
      if (uncertain) {
        try {
          committed = committed_before(probe_);
        } catch (const DbError& e) {
          log_.warn(std::string(e.what()) + " (retrying)");
          conn_.reset();
          continue;
        }
        uncertain = false;
        if (committed) {
          log_.warn("the transaction whose COMMIT lost its connection had committed; answering its requests");
          break;
        }
      }
    }
    live.clear();
    try {
      for (auto& p : todo) {
        std::string why = lease(p->stream);
        if (why.empty()) {
          live.push_back(p);
        } else if (why.find("application \"pulse-gateway\"") != std::string::npos) {
          // Most likely the session of a gateway that was just killed, which
          // the server ends as soon as it notices: worth a retry.
          answer(*p, 503, error_json(why), {{"Retry-After", "1"}});
        } else {
          answer(*p, 409, error_json(why));
        }
      }
    } catch (const DbError& e) {
      log_.warn(std::string(e.what()) + " (reconnecting)");
      conn_.reset();
      continue;
    }
    todo = live;
    if (live.empty()) break;
    std::string xid, err, sqlstate;
    if (attempt(live, isolate, xid, err, sqlstate)) {
      committed = true;
      break;
    }
    ++metrics_.commit_failures;
    pulse::load::TxnFailure f = pulse::load::classify_failure(conn_.get(), sqlstate);
    if (f.data_error && !isolate) {
      log_.warn("a record was refused by PostgreSQL (" + err + "); writing this group record by record");
      isolate = true;
      continue;
    }
    if (f.no_partition && !made_landing) {
      made_landing = true;
      PgResultPtr made(PQexec(conn_.get(), pulse::load::kEnsureLandingSql));
      if (made && PQresultStatus(made.get()) == PGRES_TUPLES_OK) continue;
    }
    if (f.broken) {
      metrics_.database_up = 0;
      // Only a COMMIT sent and not answered leaves the outcome open; a
      // connection lost before it rolled the transaction back.
      uncertain = probe_.commit_sent && !probe_.stream.empty();
      log_.warn("database connection lost during a commit of " + std::to_string(live.size()) + " requests: " + err +
                " (reconnecting)");
      conn_.reset();
      std::this_thread::sleep_for(backoff.next());
      continue;
    }
    if (f.retryable && ++retries <= 5) continue;
    log_.error("a commit of " + std::to_string(live.size()) + " requests failed: " + err);
    for (auto& p : live) answer(*p, 500, error_json("database error; nothing of this request was stored: " + err));
    live.clear();
    break;
  }
  if (committed) {
    ++metrics_.commits;
    size_t records = 0;
    for (auto& p : live) records += p->items.size();
    metrics_.commit_seconds.observe(std::chrono::duration<double>(Clock::now() - t0).count());
    metrics_.batch_records.observe(double(records));
    metrics_.batch_requests.observe(double(live.size()));
    for (auto& p : live) answer(*p, p->status, p->body, p->headers);
  }
  for (auto& [p, original] : followers) {
    p->skip = true;  // its records are the original's
    if (original->status == 200 && hex(original->fingerprint) == hex(p->fingerprint)) {
      answer(*p, 200, original->body, {{"Idempotent-Replayed", "true"}});
    } else if (original->status == 200) {
      answer(*p, 422, error_json("Idempotency-Key \"" + p->key + "\" was used with a different request to this stream"));
    } else {
      answer(*p, original->status, original->body, original->headers);
    }
  }
}

}  // namespace pulse::gateway
