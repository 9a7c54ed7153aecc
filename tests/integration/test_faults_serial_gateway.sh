#!/usr/bin/env bash
# Exactly-once acceptance through faults: 8 clients post 40 requests of 50
# records each with an Idempotency-Key (paced to 1,500 records/s in all, so
# that the faults fall inside the load), retrying every unanswered request
# (connection error, 5xx, 429) with the same key and body. Meanwhile the
# gateway is killed with kill -9 and started again, and PostgreSQL is
# restarted immediately (every backend killed, crash recovery). In the end
# every request has a 200, every record is in pulse.landing exactly once,
# and every answer (first or replayed) names the landing positions its
# records really have. Runs alone (test_faults_serial_*: it restarts the
# shared cluster).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gateway_lib.sh"
state=${PULSE_TEST_STATE:?}
pg_ctl_as_owner() {
  local pgctl="$state/inst${PG_BINDIR:?}/pg_ctl"
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$pgctl" "$@"; else "$pgctl" "$@"; fi
}
new_db pulse_it_gateway_faults
tok=$(token_for faults)
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
echo "http://127.0.0.1:$port" >"$work/url"
gw_start --listen "127.0.0.1:$port" --batch-wait 5
clients=8 requests=40 records=50
total=$((clients * requests * records))
python3 "$client" --url-file "$work/url" --stream faults --token "$tok" --clients $clients --requests $requests \
  --records $records --pad 200 --key-prefix f --retry --deadline 240 --rate 1500 --out "$work/acks.jsonl" >/dev/null &
cpid=$!
landed() { q "SELECT count(*) FROM pulse.landing WHERE stream = 'faults'" 2>/dev/null || echo 0; }
wait_landed() {
  for _ in $(seq 3000); do
    [ "$(landed)" -ge "$1" ] && return 0
    kill -0 $cpid 2>/dev/null || return 0
    sleep 0.02
  done
}

wait_landed $((total / 5))
n1=$(landed)
kill -9 "$gw_pid"; wait "$gw_pid" 2>/dev/null
gw_start --listen "127.0.0.1:$port" --batch-wait 5
echo "gateway killed at $n1 of $total records"

wait_landed $((total / 2))
n2=$(landed)
pg_ctl_as_owner -D "$state/data" -l "$state/postgres.log" -m immediate -w -t 60 restart >"$work/pgctl" 2>&1 \
  || { cat "$work/pgctl"; fail "pg_ctl restart failed"; }
echo "PostgreSQL restarted (immediate) at $n2 of $total records"

wait_landed $((total * 3 / 4))
n3=$(landed)
kill -9 "$gw_pid"; wait "$gw_pid" 2>/dev/null
gw_start --listen "127.0.0.1:$port" --batch-wait 5
echo "gateway killed again at $n3 of $total records"

wait $cpid || fail "client"
[ "$n1" -lt "$total" ] && [ "$n3" -lt "$total" ] || fail "the faults came after the load ($n1, $n2, $n3 of $total)"
q "COPY (SELECT payload->>'c', payload->>'r', payload->>'i', pos FROM pulse.landing WHERE stream = 'faults') TO STDOUT" >"$work/landing.tsv"
python3 - "$work/acks.jsonl" "$work/landing.tsv" $clients $requests $records <<'PY' || fail "not exactly once"
import json, sys
acks, landing, C, R, N = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
answered, retried, replayed = {}, 0, 0
rows = [json.loads(l) for l in open(acks)]
bad = [r for r in rows if r["status"] != 200]
assert not bad, ("unanswered requests", bad[:3])
assert len(rows) == C * R, ("answers", len(rows))
for a in rows:
    retried += a["attempts"] > 1
    replayed += a["replayed"]
    for i, x in enumerate(a["answer"]["records"]):
        answered[(a["c"], a["r"], i)] = x["seq"]
stored = {}
for line in open(landing):
    c, r, i, pos = line.split("\t")
    k = (int(c), int(r), int(i))
    assert k not in stored, ("stored twice", k)
    stored[k] = int(pos)
assert len(stored) == C * R * N, ("stored", len(stored), "of", C * R * N)
assert stored == answered, "an answer's seq is not its record's landing pos"
print("ok: %d requests (%d retried, %d answered by replay) all answered 200; all %d records stored once, at the "
      "positions their answers give" % (len(rows), retried, replayed, len(stored)))
PY

# An answer lost on the way (the client hangs up once its request is sent):
# the records are committed, and the retry with the key gets the answer
# the lost one had, without storing them again.
body='[{"lost":1},{"lost":2},{"lost":3}]'
python3 - "$port" "$tok" "$body" <<'PY' || fail "could not send the request"
import socket, sys
port, tok, body = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", port))
s.sendall(b"POST /v1/streams/faults/records HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode() +
          b"\r\nContent-Type: application/json\r\nIdempotency-Key: lost-answer\r\nContent-Length: " +
          str(len(body)).encode() + b"\r\n\r\n" + body)
s.close()
PY
for _ in $(seq 200); do
  [ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'lost'")" = 3 ] && break
  sleep 0.05
done
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'lost'")" = 3 ] || fail "the hung-up request was not committed"
r=$(curl -s -D "$work/h" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H 'Idempotency-Key: lost-answer' \
      --data-binary "$body" "$gw_url/v1/streams/faults/records")
grep -qi "^Idempotent-Replayed: true" "$work/h" || fail "the retry was not a replay: $r"
want=$(q "SELECT string_agg(pos::text, ',' ORDER BY pos) FROM pulse.landing WHERE payload ? 'lost'")
[ "$(jget "$r" '",".join(str(x["seq"]) for x in a["records"])')" = "$want" ] || fail "replayed $r, landing has $want"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'lost'")" = 3 ] || fail "the retry stored the records again"
echo "ok: a request whose answer was lost: committed once, its retry answered with the same seqs"

# A COMMIT that made it but whose answer the gateway never heard: with a
# synchronous standby that does not exist, COMMIT writes its commit record
# and then waits; ending that backend loses the answer. The gateway must
# find that the transaction committed (not redo it) and answer 200.
q "ALTER SYSTEM SET synchronous_standby_names = 'pulse_nobody'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
body='[{"syncrep":1},{"syncrep":2}]'
curl -s -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H 'Idempotency-Key: commit-lost' \
  --data-binary "$body" "$gw_url/v1/streams/faults/records" >"$work/syncrep.json" &
cpid=$!
for _ in $(seq 200); do
  wpid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'pulse-gateway' AND wait_event = 'SyncRep'")
  [ -n "$wpid" ] && break
  sleep 0.05
done
[ -n "$wpid" ] || { q "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null; q "SELECT pg_reload_conf()" >/dev/null; fail "the gateway's COMMIT did not wait for the standby"; }
q "SELECT pg_terminate_backend($wpid)" >/dev/null
q "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
wait $cpid
a=$(cat "$work/syncrep.json")
[ "$(jget "$a" 'a["accepted"]')" = 2 ] || fail "the request whose COMMIT answer was lost: $a"
want=$(q "SELECT string_agg(pos::text, ',' ORDER BY pos) FROM pulse.landing WHERE payload ? 'syncrep'")
[ "$(jget "$a" '",".join(str(x["seq"]) for x in a["records"])')" = "$want" ] || fail "answered $a, landing has $want (stored twice?)"
grep -q "had committed" "$work/gw.log" || fail "the gateway did not say it found the commit: $(tail -3 "$work/gw.log")"
r=$(curl -s -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H 'Idempotency-Key: commit-lost' \
      --data-binary "$body" "$gw_url/v1/streams/faults/records")
[ "$r" = "$a" ] || fail "the retry answered $r, the first $a"
echo "ok: a COMMIT that made it while its answer was lost (backend ended during a synchronous-replication wait): found, answered 200 once"

# The database away while the gateway idles: /healthz and new requests say
# 503 with Retry-After, and both recover once it is back.
pg_ctl_as_owner -D "$state/data" -l "$state/postgres.log" -m fast -w -t 60 stop >"$work/pgctl" 2>&1 \
  || { cat "$work/pgctl"; fail "pg_ctl stop failed"; }
for _ in $(seq 200); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$gw_url/healthz")" = 503 ] && break; sleep 0.1; done
h=$(curl -s -o /dev/null -w '%{http_code}' "$gw_url/healthz")
r=$(curl -s -D "$work/h503" -w '\n%{http_code}' -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
      --data-binary '[{"down":1}]' "$gw_url/v1/streams/faults/records")
pg_ctl_as_owner -D "$state/data" -l "$state/postgres.log" -w -t 60 start >"$work/pgctl" 2>&1 \
  || { cat "$work/pgctl"; fail "pg_ctl start failed"; }
[ "$h" = 503 ] || fail "/healthz said $h with the database stopped"
[ "$(status_of "$r")" = 503 ] && grep -qi "^Retry-After:" "$work/h503" || fail "a request with the database stopped: $r"
for _ in $(seq 200); do [ "$(curl -s "$gw_url/healthz")" = ok ] && break; sleep 0.1; done
[ "$(curl -s "$gw_url/healthz")" = ok ] || fail "/healthz did not recover"
r=$(post "$tok" faults '[{"back":1}]')
[ "$(status_of "$r")" = 200 ] || fail "after the database came back: $r"
echo "ok: the database stopped: /healthz and requests 503 with Retry-After; both recover once it is back"
gw_stop
[ "$gw_rc" = 0 ] || fail "the last gateway's exit: $gw_rc"
