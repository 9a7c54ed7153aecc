#!/usr/bin/env bash
# pulse-gateway over HTTP, one request at a time: tokens (none, wrong, of
# another stream, revoked: 401; a new one works at once), routes (404, 405),
# content types (415), bodies over the limit (413), malformed records
# (rejected one by one with their bytes and reason, the others accepted and
# numbered by their pulse.landing pos), NDJSON, a single object, an empty
# body, ?format=upbit projected into pulse.candles, Idempotency-Key replays
# and misuse (422), a stream another writer holds (409), /healthz, /metrics,
# and TLS with a self-signed certificate.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/gateway_lib.sh"
new_db pulse_it_gateway_http
# flags
"$gw" --help | grep -q "POST /v1/streams/<stream>/records" || fail "--help"
for bad in "" "--listen nohostport" "--listen 127.0.0.1:70000" "--listen 127.0.0.1:0 --threads 0" \
           "--listen 127.0.0.1:0 --body-limit x" "--listen 127.0.0.1:0 --nope 1" "--listen 127.0.0.1:0 --log-format xml"; do
  # shellcheck disable=SC2086
  "$gw" $bad >/dev/null 2>"$work/e"; rc=$?
  [ "$rc" = 2 ] && [ "$(wc -l <"$work/e")" = 1 ] || fail "flags \"$bad\": exit $rc, $(cat "$work/e")"
done
"$gw" --listen 127.0.0.1:0 --db "dbname=pulse_it_no_such_db" 2>"$work/e"; rc=$?
[ "$rc" = 4 ] || fail "an unreachable database at start: exit $rc ($(cat "$work/e"))"
psql -X -q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS gw_login" -c "CREATE ROLE gw_login LOGIN" >/dev/null
"$gw" --listen 127.0.0.1:0 --db "dbname=$db user=gw_login" 2>"$work/e"; rc=$?
[ "$rc" = 2 ] && grep -q "GRANT pulse_gateway TO gw_login" "$work/e" || fail "a role without any pulse role: exit $rc ($(cat "$work/e"))"
q "GRANT pulse_writer TO gw_login" >/dev/null
"$gw" --listen 127.0.0.1:0 --db "dbname=$db user=gw_login" 2>"$work/e"; rc=$?
[ "$rc" = 2 ] && grep -q "GRANT pulse_gateway TO gw_login" "$work/e" || fail "a role with only pulse_writer: exit $rc ($(cat "$work/e"))"
echo "ok: --help; bad flags exit 2 with one line; a database that cannot be reached exits 4; a role without pulse_gateway (with or without pulse_writer) exits 2 saying what to grant"
# (tokens made before the gateway starts; one made later is accepted once
# the gateway hears its NOTIFY, which the revoke/new-token part waits for)
tok=$(token_for events)
other=$(token_for elsewhere)
tc=$(token_for candles-gw)
tl=$(token_for held)
q "GRANT pulse_gateway TO gw_login" >/dev/null
db_user=gw_login
gw_start --body-limit 100000 --max-record-bytes 2000

# --- tokens
r=$(post "" events '[{"a":1}]' -H 'Authorization:')
[ "$(status_of "$r")" = 401 ] || fail "no token: $r"
r=$(post "pgi_$(printf '0%.0s' $(seq 64))" events '[{"a":1}]')
[ "$(status_of "$r")" = 401 ] || fail "a wrong token: $r"
r=$(post "$other" events '[{"a":1}]')
[ "$(status_of "$r")" = 401 ] || fail "another stream's token: $r"
r=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Basic $tok" --data-binary '[1]' "$gw_url/v1/streams/events/records")
[ "$r" = 401 ] || fail "Basic instead of Bearer: $r"
[ "$(q "SELECT count(*) FROM pulse.landing")" = 0 ] || fail "a refused request stored records"
echo "ok: no token, a wrong one, another stream's, Basic: 401, nothing stored"

# --- routes and content types
[ "$(curl -s -o /dev/null -w '%{http_code}' "$gw_url/v1/streams/events/record")" = 404 ] || fail "404"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$gw_url/v1/streams/a%2Fb/records")" = 404 ] || fail "404 for a/b"
r=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $tok" "$gw_url/v1/streams/events/records")
grep -q "^HTTP/1.1 405" <<<"$r" && grep -qi "^Allow: POST" <<<"$r" || fail "GET on records: $r"
r=$(CT=text/csv post "$tok" events 'a,b')
[ "$(status_of "$r")" = 415 ] || fail "text/csv: $r"
r=$(CT='application/json; charset=latin1' post "$tok" events '[{"a":1}]')
[ "$(status_of "$r")" = 415 ] || fail "latin1: $r"
r=$(post "$tok" events '[{"a":1}]' -H 'Content-Encoding: gzip')
[ "$(status_of "$r")" = 415 ] || fail "gzip: $r"
r=$(QS='?format=csv' post "$tok" events '[{"a":1}]')
[ "$(status_of "$r")" = 400 ] || fail "format=csv: $r"
python3 -c "import sys; sys.stdout.write('[' + ','.join(['{\"p\":\"' + 'x'*900 + '\"}']*120) + ']')" >"$work/big.json"
r=$(post "$tok" events "@$work/big.json")
[ "$(status_of "$r")" = 413 ] || fail "a body over --body-limit: $(tail -c 300 <<<"$r")"
r=$(curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
      -H 'Transfer-Encoding: chunked' --data-binary "@$work/big.json" "$gw_url/v1/streams/events/records")
[ "$(status_of "$r")" = 413 ] || fail "a chunked body over --body-limit: $(tail -c 300 <<<"$r")"
[ "$(q "SELECT count(*) FROM pulse.landing")" = 0 ] || fail "a refused request stored records"
echo "ok: 404, 405 with Allow, 415 (csv, latin1, gzip), 400 (unknown format), 413 (declared and chunked)"

# --- records: good ones accepted, bad ones rejected one by one
long=$(python3 -c "print('{\"p\":\"' + 'y'*3000 + '\"}')")
r=$(post "$tok" events "[{\"a\":1}, {bad}, \"text\", $long, {\"n\":1e999999}, {\"z\":\"\\u0000nul\"}, [1,2]]")
[ "$(status_of "$r")" = 200 ] || fail "mixed records: $r"
a=$(body_of "$r")
[ "$(jget "$a" 'a["accepted"], a["rejected"]')" = "4 3" ] || fail "accepted/rejected: $a"
[ "$(jget "$a" '[("seq" in x) for x in a["records"]]')" = "[True, False, True, False, False, True, True]" ] \
  || fail "per-record results: $a"
jget "$a" 'a["records"][1]["error"]' | grep -q "invalid JSON" || fail "reason of {bad}: $a"
jget "$a" 'a["records"][3]["error"]' | grep -q "longer than the limit of 2000" || fail "reason of the long record: $a"
jget "$a" 'a["records"][5].get("note", "")' | grep -q . || fail "the cleaned record carries no note: $a"
seqs=$(jget "$a" '",".join(str(x["seq"]) for x in a["records"] if "seq" in x)')
[ "$(jget "$a" 'a["first_seq"], a["last_seq"]')" = "$(cut -d, -f1 <<<"$seqs") $(cut -d, -f4 <<<"$seqs")" ] \
  || fail "first_seq/last_seq: $a"
got=$(q "SELECT string_agg(pos::text, ',' ORDER BY seq) FROM pulse.landing WHERE stream = 'events'")
[ "$got" = "$seqs" ] || fail "landing pos $got, answered $seqs"
[ "$(q "SELECT payload::text FROM pulse.landing WHERE pos = $(cut -d, -f2 <<<"$seqs")")" = '"text"' ] || fail "record 3"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE stream = 'events'")" = 4 ] || fail "rejects: $(q "SELECT reason FROM pulse.rejects")"
[ "$(q "SELECT btrim(convert_from(raw, 'UTF8')) FROM pulse.rejects WHERE reason LIKE 'invalid JSON%'")" = "{bad}" ] \
  || fail "the bad record's bytes are not kept"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE reason LIKE '%numeric%' AND btrim(convert_from(raw, 'UTF8')) = '{\"n\":1e999999}'")" = 1 ] \
  || fail "the out-of-range number: $(q "SELECT reason FROM pulse.rejects")"
echo "ok: 7 records: 4 accepted with their landing pos, 3 rejected by index with reasons, bytes kept in pulse.rejects"

# NDJSON, one object as application/json, an empty body
r=$(CT=application/x-ndjson post "$tok" events $'{"l":1}\n\n{"l":2}\r\n{oops\n')
[ "$(jget "$(body_of "$r")" 'a["accepted"], a["rejected"]')" = "2 1" ] || fail "ndjson: $r"
r=$(post "$tok" events $'{\n  "pretty": true\n}\n')
[ "$(jget "$(body_of "$r")" 'a["accepted"], a["rejected"]')" = "1 0" ] || fail "one pretty object: $r"
r=$(post "$tok" events '')
[ "$(body_of "$r")" = '{"accepted":0,"rejected":0,"first_seq":null,"last_seq":null,"records":[]}' ] || fail "empty: $r"
echo "ok: NDJSON (blank lines skipped, a bad line rejected), one pretty-printed object, an empty body"

# --- ?format=upbit: projected as the loader's batches are
candle='{"market":"KRW-BTC","candle_date_time_utc":"2024-03-11T00:00:00","opening_price":100.5,"high_price":101,"low_price":99,"trade_price":100,"timestamp":1710115259000,"candle_acc_trade_price":12.5,"candle_acc_trade_volume":0.125,"unit":1}'
r=$(QS='?format=upbit' post "$tc" candles-gw "[{\"market\":\"KRW-BTC\",\"period\":\"1m\",\"record\":$candle}, {\"market\":\"KRW-BTC\",\"period\":\"1m\",\"record\":{\"opening_price\":-1}}]")
[ "$(jget "$(body_of "$r")" 'a["accepted"]')" = 2 ] || fail "upbit: $r"
[ "$(q "SELECT exchange, market, open, volume FROM pulse.candles")" = "upbit|KRW-BTC|100.5|0.125" ] || fail "candle: $(q "SELECT * FROM pulse.candles")"
[ "$(q "SELECT count(*) FROM pulse.rejects WHERE stream = 'candles-gw'")" = 1 ] || fail "the bad candle is not a reject"
[ "$(q "SELECT format FROM pulse.landing WHERE stream = 'candles-gw' GROUP BY 1")" = upbit ] || fail "landing format"
echo "ok: format=upbit lands and projects into pulse.candles (a bad candle in pulse.rejects)"

# --- Idempotency-Key
r1=$(post "$tok" events '[{"k":1},{"k":2}]' -H 'Idempotency-Key: order-7')
r2=$(curl -s -D "$work/h2" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H 'Idempotency-Key: order-7' \
       --data-binary '[{"k":1},{"k":2}]' "$gw_url/v1/streams/events/records")
[ "$(body_of "$r1")" = "$r2" ] || fail "the replay answers differently: $r1 / $r2"
grep -qi "^Idempotent-Replayed: true" "$work/h2" || fail "the replay is not marked"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'k'")" = 2 ] || fail "a replay stored the records again"
r=$(post "$tok" events '[{"k":3}]' -H 'Idempotency-Key: order-7')
[ "$(status_of "$r")" = 422 ] || fail "the key with another body: $r"
r=$(post "$tc" candles-gw '[{"k":1},{"k":2}]' -H 'Idempotency-Key: order-7')
[ "$(status_of "$r")" = 200 ] && [ "$(q "SELECT count(*) FROM pulse.landing WHERE stream = 'candles-gw' AND payload ? 'k'")" = 2 ] \
  || fail "keys are per stream: $r"
r=$(post "$tok" events '[1]' -H "Idempotency-Key: $(printf 'k%.0s' $(seq 201))")
[ "$(status_of "$r")" = 400 ] || fail "a 201-character key: $r"
[ "$(q "SELECT count(*) FROM pulse_internal.ingest_keys WHERE stream = 'events' AND expires_at > now() + interval '23 hours'")" = 1 ] \
  || fail "the key is not kept for a day"
echo "ok: Idempotency-Key: the same answer without storing twice, 422 for another body, per stream, 400 when too long"

# --- revoking and creating tokens takes effect without a restart
id=$(q "SELECT id FROM pulse.ingest_tokens WHERE stream = 'events'")
q "SELECT pulse.revoke_ingest_token($id)" >/dev/null
for _ in $(seq 100); do
  [ "$(status_of "$(post "$tok" events '[1]')")" = 401 ] && break
  sleep 0.1
done
[ "$(status_of "$(post "$tok" events '[1]')")" = 401 ] || fail "a revoked token is still accepted after 10 s"
tok2=$(token_for events)
for _ in $(seq 100); do
  [ "$(status_of "$(post "$tok2" events '[1]')")" = 200 ] && break
  sleep 0.1
done
[ "$(status_of "$(post "$tok2" events '[1]')")" = 200 ] || fail "a new token is not accepted after 10 s"
echo "ok: a revoked token is refused and a new one accepted while the gateway runs"

# --- a stream another writer holds: 409, naming it
PGAPPNAME=gw_holder psql -X -q -c "SELECT pg_advisory_lock(hashtextextended('pulse.stream:held', 0)), pg_sleep(30)" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
  [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'gw_holder'")" = 1 ] && break
  sleep 0.05
done
r=$(post "$tl" held '[1]')
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gw_holder'" >/dev/null
wait "$holder" 2>/dev/null
[ "$(status_of "$r")" = 409 ] && grep -q "one writer at a time" <<<"$r" || fail "a held stream: $r"
echo "ok: a stream whose lease another session holds: 409"

# --- health and metrics
[ "$(curl -s "$gw_url/healthz")" = ok ] || fail "healthz"
[ "$(metric 'pulse_gateway_requests_total{code="401"}')" -ge 4 ] || fail "401s not counted"
[ "$(metric 'pulse_gateway_requests_total{code="413"}')" = 2 ] || fail "413s not counted"
[ "$(metric 'pulse_gateway_records_total{result="rejected"}')" -ge 4 ] || fail "rejected records not counted"
m=$(curl -s "$gw_url/metrics")
grep -q '^pulse_gateway_commit_seconds_bucket{le="+Inf"} [1-9]' <<<"$m" || fail "commit histogram: $m"
grep -q '^pulse_gateway_batch_records_count [1-9]' <<<"$m" || fail "batch size histogram: $m"
echo "ok: /healthz, /metrics (codes, records, commit latency and batch size histograms)"
gw_stop
[ "$gw_rc" = 0 ] || fail "SIGTERM: exit $gw_rc"
for t in "$tok" "$tok2" "$other" "$tc"; do
  grep -qF "${t#pgi_}" "$work/gw.log" && fail "a token is in the gateway's log"
done
[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pgi_%' AND pid <> pg_backend_pid()")" = 0 ] \
  || fail "a token is in pg_stat_activity"

# --- an idle stream's lease is given back; expired idempotency keys are forgotten
gw_start --lease-idle 2 --idempotency-ttl 1
r=$(post "$tok2" events '[{"idle":1}]' -H 'Idempotency-Key: short-lived')
[ "$(status_of "$r")" = 200 ] || fail "before idling: $r"
took=""
for _ in $(seq 100); do
  [ "$(q "SELECT pg_try_advisory_lock(hashtextextended('pulse.stream:events', 0))")" = t ] && { took=1; break; }
  sleep 0.1
done
[ -n "$took" ] || fail "the gateway kept the lease of an idle stream past --lease-idle"
cp_before=$(q "SELECT batch_id FROM pulse.checkpoints WHERE stream = 'events'")
r=$(post "$tok2" events '[{"idle":2}]' -H 'Idempotency-Key: short-lived')
[ "$(status_of "$r")" = 200 ] && [ "$(jget "$(body_of "$r")" 'a["accepted"]')" = 1 ] \
  || fail "after the key expired and the lease came back: $r"
[ "$(q "SELECT batch_id FROM pulse.checkpoints WHERE stream = 'events'")" = $((cp_before + 1)) ] \
  || fail "the batch ids do not go on from the checkpoint after taking the lease again"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'idle'")" = 2 ] || fail "idle records"
gw_stop
echo "ok: an idle stream's lease is given back after --lease-idle and taken again (batch ids go on); a key past --idempotency-ttl is forgotten"

# --- TLS
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || fail "openssl"
gw_scheme=https
gw_start --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
r=$(post "$tok2" events '[{"tls":1}]' --cacert "$work/cert.pem")
[ "$(jget "$(body_of "$r")" 'a["accepted"]')" = 1 ] || fail "over TLS: $r"
r=$(post "$tok2" events '[{"tls":2}]')
[ "$(status_of "$r")" = 000 ] || fail "an unverified certificate was accepted: $r"
r=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gw_port/healthz")
[ "$r" != 200 ] || fail "plain HTTP answered on the TLS port"
[ "$(q "SELECT count(*) FROM pulse.landing WHERE payload ? 'tls'")" = 1 ] || fail "TLS records"
gw_stop
"$gw" --listen 127.0.0.1:0 --tls-cert "$work/cert.pem" >/dev/null 2>&1; [ $? = 2 ] || fail "--tls-cert alone is not a usage error"
"$gw" --listen 127.0.0.1:0 --db "dbname=$db" --tls-cert "$work/cert.pem" --tls-key "$work/cert.pem" 2>"$work/e"; rc=$?
[ "$rc" = 2 ] || fail "a certificate as key: exit $rc ($(cat "$work/e"))"
echo "ok: TLS with a self-signed certificate (verified by the client; plain HTTP refused; a bad key exits 2)"
