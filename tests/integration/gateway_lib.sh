# Shared by the pulse-gateway tests (sourced, not a test): the common test
# helpers, a gateway started on 127.0.0.1 (any free port, read from its
# log) and stopped on exit, curl with a token, and metric look-ups.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/common_lib.sh"
gw=${PULSE_GATEWAY:?}
client="$here/gateway_client.py"
gw_pid=""
gw_port=""
gw_scheme=http
gw_cleanup() {
  [ -n "$gw_pid" ] && kill -9 "$gw_pid" 2>/dev/null
  cleanup
}
trap gw_cleanup EXIT
fail_log="$work/gw.log"

# gw_start [FLAGS...]: starts the gateway on database $db as $db_user
# (default: the superuser $PGUSER); sets gw_pid,
# gw_port and gw_url. --listen may be given to pick the port.
gw_start() {
  local listen=127.0.0.1:0
  for a in "$@"; do [ "$a" = "--listen" ] && listen=""; done
  : >"$work/gw.log"
  if [ -n "$listen" ]; then
    "$gw" --listen "$listen" --db "dbname=$db user=${db_user:-$PGUSER}" "$@" 2>>"$work/gw.log" &
  else
    "$gw" --db "dbname=$db user=${db_user:-$PGUSER}" "$@" 2>>"$work/gw.log" &
  fi
  gw_pid=$!
  for _ in $(seq 200); do
    grep -q "listening" "$work/gw.log" && break
    kill -0 "$gw_pid" 2>/dev/null || { cat "$work/gw.log"; fail "the gateway exited at start"; }
    sleep 0.05
  done
  gw_port=$(grep -o 'port=[0-9]*' "$work/gw.log" | tail -1 | cut -d= -f2)
  [ -n "$gw_port" ] || fail "the gateway did not say where it listens"
  gw_url="$gw_scheme://127.0.0.1:$gw_port"
}

# gw_stop: SIGTERM and wait; its exit code in gw_rc.
gw_stop() {
  kill -TERM "$gw_pid"
  wait "$gw_pid"
  gw_rc=$?
  gw_pid=""
}

# post TOKEN STREAM BODY [CURL ARGS...]: prints the answer's body and, on the
# last line, the status code. Content type $CT (default application/json),
# query string $QS ("?format=upbit").
post() {
  local tok=$1 stream=$2 body=$3
  shift 3
  curl -s -w '\n%{http_code}' -H "Authorization: Bearer $tok" -H "Content-Type: ${CT:-application/json}" \
    --data-binary "$body" "$@" "$gw_url/v1/streams/$stream/records${QS:-}"
}
# status of a response printed by post
status_of() { tail -1 <<<"$1"; }
body_of() { sed '$d' <<<"$1"; }
# jget JSON EXPR: a value of an answer, by a Python expression over `a`
jget() { python3 -c "import json,sys; a=json.loads(sys.argv[1]); print($2)" "$1"; }

# metric NAME_AND_LABELS: a value from /metrics (0 when absent)
metric() {
  local v
  v=$(curl -s "$gw_url/metrics" | awk -v m="$1" '$1 == m {print $2}')
  echo "${v:-0}"
}

token_for() { q "SELECT pulse.create_ingest_token('$1')"; }

# gw_threads / gw_rss_kb: the gateway's thread count and resident memory
gw_threads() { awk '/^Threads:/ {print $2}' "/proc/$gw_pid/status"; }
gw_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$gw_pid/status"; }
