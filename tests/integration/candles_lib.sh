# Shared set-up for the candle loader integration tests (sourced, not a test):
# a private database with the extension and a replay server on 127.0.0.1.
lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$lib_dir/common_lib.sh"

# start_server [server args...]: starts the replay server, sets $api.
start_server() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
  rm -f "$work/port"
  python3 "$src/tests/replay/server.py" --port-file "$work/port" "$@" >"$work/server.log" 2>&1 &
  server_pid=$!
  # Up to 30 s: with PULSE_REPLAY_UPBIT_COPIES=100 it builds its data first,
  # which took 5.5 s on a loaded 2-core machine.
  for _ in $(seq 600); do
    [ -s "$work/port" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
  done
  [ -s "$work/port" ] || { cat "$work/server.log"; fail "replay server did not start"; }
  api="http://127.0.0.1:$(cat "$work/port")"
}

scenario() { curl -s -X POST --data-binary "$1" "$api/_replay/scenario" >/dev/null || fail "set scenario"; }
requests() { curl -s "$api/_replay/requests"; }

# load ARGS...: runs pulse-load candles, keeps stderr in $work/err, sets $rc.
load() {
  "$bin" candles "$@" 2>"$work/err" &
  wait_loader $! "pulse-load candles $*" "$work/err"
}
summary_field() { grep -o "$1 [0-9]*" "$work/err" | tail -1 | awk '{print $2}'; }
