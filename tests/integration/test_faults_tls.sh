#!/usr/bin/env bash
# TLS verification stays on unless --insecure: against a local HTTPS replay
# server with a self-signed certificate (made here with openssl), a load
# fails (exit 3, a certificate message, nothing stored) without --insecure and
# works with it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/faults_lib.sh"
command -v openssl >/dev/null || fail "openssl is needed"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1 \
  || fail "openssl could not make a certificate"
start_server --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
https_api=${api/http:/https:}
curl -s --cacert "$work/cert.pem" "$https_api/_replay/requests" | grep -q '^\[' || fail "the HTTPS replay server does not answer"
new_db pulse_it_faults_tls
export PULSE_LOAD_TEST_TIME_SCALE=0.01
range=(--exchange upbit --market KRW-BTC --since 2020-02-20T07:00:00Z --until 2020-02-20T11:20:00Z --api-url "$https_api" --quiet)
load "${range[@]}"
[ "$rc" = 3 ] || { cat "$work/err"; fail "a self-signed certificate was accepted without --insecure (exit $rc)"; }
grep -qi "certificate" "$work/err" || fail "the error does not name the certificate: $(cat "$work/err")"
[ "$(q "SELECT count(*) FROM pulse.candles")" = 0 ] || fail "rows stored from an unverified server"
load "${range[@]}" --insecure
[ "$rc" = 0 ] || { cat "$work/err"; fail "--insecure did not allow the self-signed server (exit $rc)"; }
[ "$(q "SELECT count(*) FROM pulse.candles WHERE bucket_start >= '2020-02-20 07:00+00' AND bucket_start < '2020-02-20 11:20+00'")" = 260 ] \
  || fail "--insecure load stored $(q "SELECT count(*) FROM pulse.candles") candles, not the 260 of the range"
echo "ok: TLS verified by default, --insecure skips it"
