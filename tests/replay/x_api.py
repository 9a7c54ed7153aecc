#!/usr/bin/env python3
"""Replay server for the X API v2 routes pulse-load tweets uses, for tests.

Serves, on 127.0.0.1 only, from a scenario file (JSON) the test writes:
  GET  /2/tweets/search/stream        chunked, one object a line, keep-alive
                                      "\\r\\n" lines, lines split across chunks
                                      (a UTF-8 character too), and the faults
                                      of the scenario's i-th connection
  GET  /2/tweets/search/stream/rules  the rules
  POST /2/tweets/search/stream/rules  {"add":[...]}; DuplicateRule if present
  GET  /2/tweets/search/recent        pages of the scenario's tweets newer
                                      than since_id, next_token paging,
                                      x-rate-limit-* headers, gzip when asked

Scenario keys (all optional):
  "stream": [conn, ...]   the i-th connection follows conn; after the list the
                          last entry repeats. conn is one of
      {"drop": true}                       close without a response
      {"status": 503} / {"status": 429, "reset_in": 2}
      {"lines": [tweet|obj, ...], "then": "close"|"silence"|"hold"|
       "op_disconnect"|"truncate", "split": true, "keepalive": true,
       "rules": [{"id": "1", "tag": "t"}]}
      "lines" items are tweet objects (sent as {"data":..,"matching_rules":..})
      or {"raw": "text"} (sent verbatim as one line).
  "search": [tweet, ...]  the recent-search corpus (ids as strings)
  "page_size": 10, "search_faults": [429, 503, ...] (before serving pages),
  "rate_limit_remaining": n  sent as x-rate-limit-remaining on every page
  "rules": [{"id": .., "value": .., "tag": ..}]
  "cassette": "path"      serve this VCR cassette's body for recent search
  "search_fail_after": n  recent-search calls after the first n get HTTP 400
  "clock": "ISO time"     the server replays a recording on this clock: every
                          response's Date shows it; a tweet sent on the stream
                          moves it to the tweet's created_at; a conn's
                          "clock" sets it when the connection opens and its
                          "end_clock" when its lines are out (the recording's
                          connection ended then). Without it, Date is now.
  "stream_rate": n        tweets per second for "rate" connections:
      {"rate_lines": [tweet, ...]} send each line stamped with the send time

The bearer token the server accepts comes from the environment
(X_REPLAY_BEARER_TOKEN); requests without it get 401. The token is never
written to the log. Every request is logged as a JSON line (time, method,
path, query, status) to the log file.

Usage: x_api.py SCENARIO.json PORT_FILE LOG_FILE

The same routes also plug into the shared replay server (server.py, which
loads every module here with a register() function): register() serves the
tweets of PULSE_REPLAY_X_TWEETS (JSON Lines of v2 tweet objects; default:
the recorded fixtures' tweets) on the stream (each line split across chunks,
keep-alives, then PULSE_REPLAY_X_HOLD_S seconds of keep-alives), the rules
endpoints and recent search; faults come from server.py's scenario rules.
The scripted per-connection faults above (dropped sockets, silence,
operational-disconnect) need this module's own server.

A --data-dir day is replayed as the recording of a stream that was connected
for the whole day, on the recording's clock (the Date of every response):
the clock reads the day's start until the stream is read, moves with the
messages as they are sent, and when the last one is out the recording ends:
the connection closes and the clock reads a minute after the day's end. A
later connection opens after the recording, so it gets nothing new (only
keep-alives for PULSE_REPLAY_X_HOLD_S). pulse-load's coverage of the stream
runs on this clock (a Date far behind its own marks a replay), so the day
is covered from its start, and its last seconds once the reconnect's gap
search has covered them.
"""
import base64
import datetime
import datetime as dt
import email.utils
import gzip
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def search_page(tweets, since_id, start, size):
    """One recent-search page: tweets newer than since_id, newest first."""
    newer = sorted((t for t in tweets if int(t["id"]) > since_id), key=lambda t: int(t["id"]), reverse=True)
    page = newer[start:start + size]
    meta = {"result_count": len(page)}
    if page:
        meta["newest_id"] = page[0]["id"]
        meta["oldest_id"] = page[-1]["id"]
    if start + size < len(newer):
        meta["next_token"] = str(start + size)
    out = {"meta": meta}
    if page:
        out["data"] = page
    return out


def add_rules(rules, body, next_id):
    """POST /2/tweets/search/stream/rules on the list `rules`; returns the
    response object and the next free rule id."""
    data, errors = [], []
    for r in body.get("add", []):
        if any(x["value"] == r["value"] for x in rules):
            errors.append({"value": r["value"], "id": "1", "title": "DuplicateRule",
                           "type": "https://api.twitter.com/2/problems/duplicate-rules"})
            continue
        next_id += 1
        rule = {"id": str(next_id), "value": r["value"]}
        if r.get("tag"):
            rule["tag"] = r["tag"]
        rules.append(rule)
        data.append(rule)
    out = {"meta": {"sent": "now", "summary": {"created": len(data), "not_created": len(errors)}}}
    if data:
        out["data"] = data
    if errors:
        out["errors"] = errors
    return out, next_id


def split_line(line):
    """A stream line as two chunks cut inside its first multi-byte UTF-8
    character (or in the middle), the second ending the line."""
    if len(line) <= 4:
        return [line + b"\r\n"]
    cut = next((i + 1 for i, b in enumerate(line) if b >= 0xC0), len(line) // 2)
    return [line[:cut], line[cut:] + b"\r\n"]


def iso_seconds(text):
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.timezone.utc).timestamp()


class State:
    def __init__(self, scenario):
        self.scenario = scenario
        self.clock = iso_seconds(scenario["clock"]) if scenario.get("clock") else None
        self.lock = threading.Lock()
        self.connections = 0
        self.search_calls = 0
        self.rules = list(scenario.get("rules", []))
        self.next_rule = 1000


def load_cassette_body(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"!!binary \|\n((?:[ \t]+[A-Za-z0-9+/=]+\n)+)", text)
    raw = base64.b64decode("".join(m.group(1).split()))
    headers = {}
    for name in ("x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"):
        hm = re.search(r"\n\s+%s:\n\s+- '([^']*)'" % name, text)
        if hm:
            headers[name] = hm.group(1)
    return raw, headers  # raw is the gzip body as recorded


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "x-replay/1"

    def log_message(self, fmt, *args):
        pass

    def date_time_string(self, timestamp=None):
        clock = self.server.state.clock
        return email.utils.formatdate(clock if clock is not None and timestamp is None else timestamp, usegmt=True)

    def advance(self, seconds):
        st = self.server.state
        if st.clock is not None:
            with st.lock:
                st.clock = max(st.clock, seconds)

    def record(self, status, **extra):
        url = urllib.parse.urlsplit(self.path)
        entry = {"t": time.time(), "method": self.command, "path": url.path,
                 "query": urllib.parse.parse_qs(url.query), "status": status}
        entry.update(extra)
        with self.server.log_lock:
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    def authorized(self):
        want = os.environ.get("X_REPLAY_BEARER_TOKEN", "")
        return want and self.headers.get("Authorization", "") == "Bearer " + want

    def send_json(self, status, obj, extra_headers=None, gzip_ok=False):
        body = json.dumps(obj).encode()
        headers = dict(extra_headers or {})
        if gzip_ok and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.record(status)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if not self.authorized():
            return self.send_json(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                        "detail": "Unauthorized"})
        if url.path == "/2/tweets/search/stream":
            return self.stream()
        if url.path == "/2/tweets/search/stream/rules":
            with self.server.state.lock:
                rules = list(self.server.state.rules)
            return self.send_json(200, {"data": rules, "meta": {"sent": "now", "result_count": len(rules)}}
                                  if rules else {"meta": {"sent": "now", "result_count": 0}})
        if url.path == "/2/tweets/search/recent":
            return self.search(urllib.parse.parse_qs(url.query))
        self.send_json(404, {"title": "Not Found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not self.authorized():
            return self.send_json(401, {"title": "Unauthorized"})
        if url.path != "/2/tweets/search/stream/rules":
            return self.send_json(404, {"title": "Not Found"})
        st = self.server.state
        with st.lock:
            out, st.next_rule = add_rules(st.rules, body, st.next_rule)
        self.send_json(201, out)

    # --- recent search -------------------------------------------------
    def search(self, q):
        st = self.server.state
        sc = st.scenario
        with st.lock:
            call = st.search_calls
            st.search_calls += 1
        if call >= sc.get("search_fail_after", 1 << 30):
            return self.send_json(400, {"title": "Invalid Request", "status": 400, "detail": "scripted failure"})
        faults = sc.get("search_faults", [])
        if call < len(faults):
            status = faults[call]
            headers = {}
            if status == 429:
                headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 1)}
            return self.send_json(status, {"title": "fault", "status": status}, headers)
        if sc.get("cassette") and "next_token" in q:
            # The recording has one page; its next_token leads to the end.
            return self.send_json(200, {"meta": {"result_count": 0}})
        if sc.get("cassette"):
            raw, headers = load_cassette_body(sc["cassette"])
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(raw)))
            headers["x-rate-limit-reset"] = str(int(time.time()) + 900)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
            return self.record(200, cassette=True)
        out = search_page(sc.get("search", []), int(q.get("since_id", ["0"])[0]),
                          int(q.get("next_token", ["0"])[0] or 0), int(sc.get("page_size", 10)))
        headers = {"x-rate-limit-limit": "450",
                   "x-rate-limit-remaining": str(sc.get("rate_limit_remaining", 449)),
                   "x-rate-limit-reset": str(int(time.time()) + 1)}
        self.send_json(200, out, headers, gzip_ok=sc.get("gzip", True))

    # --- filtered stream -----------------------------------------------
    def chunk(self, data):
        if not data:
            return
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def stream(self):
        st = self.server.state
        with st.lock:
            n = st.connections
            st.connections += 1
        conns = st.scenario.get("stream", [{"lines": [], "then": "hold"}])
        conn = conns[min(n, len(conns) - 1)]
        if conn.get("clock") and st.clock is not None:
            with st.lock:
                st.clock = iso_seconds(conn["clock"])
        if conn.get("drop"):
            self.record(0, connection=n, drop=True)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if "status" in conn:
            headers = {}
            if conn["status"] == 429 and "reset_in" in conn:
                headers = {"x-rate-limit-remaining": "0",
                           "x-rate-limit-reset": str(int(time.time()) + conn["reset_in"])}
            self.close_connection = True
            return self.send_json(conn["status"], {"title": "fault", "status": conn["status"],
                                                   "detail": "replayed fault"}, headers)
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.record(200, connection=n)
        try:
            for item in conn.get("lines", []):
                if "created_at" in item:
                    self.advance(iso_seconds(item["created_at"]))
                line = self.line_bytes(item, conn)
                if conn.get("keepalive", True):
                    self.chunk(b"\r\n")
                if conn.get("split", True):
                    first = True
                    for piece in split_line(line):
                        if not first:
                            time.sleep(0.005)
                        self.chunk(piece)
                        first = False
                else:
                    self.chunk(line + b"\r\n")
            for item in conn.get("rate_lines", []):
                interval = 1.0 / float(st.scenario.get("stream_rate", 1000))
                started = time.time()
                for i, t in enumerate(item):
                    target = started + i * interval
                    delay = target - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    t = dict(t)
                    t["text"] = "sent_at=%.6f %s" % (time.time(), t.get("text", ""))
                    self.chunk(json.dumps({"data": t}).encode() + b"\r\n")
            if conn.get("end_clock"):
                self.advance(iso_seconds(conn["end_clock"]))
            then = conn.get("then", "hold")
            if then == "op_disconnect":
                self.chunk(json.dumps({"errors": [{
                    "title": "operational-disconnect", "disconnect_type": "OperationalDisconnect",
                    "detail": "This stream has been disconnected for operational reasons.",
                    "type": "https://api.twitter.com/2/problems/operational-disconnect"}]}).encode() + b"\r\n")
                time.sleep(30)  # X closes soon after; the client must not wait for it
            elif then == "silence":
                time.sleep(float(conn.get("silence_s", 60)))
            elif then == "truncate":
                self.chunk(b'{"data":{"id":"17000000000000')
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            elif then == "hold":
                for _ in range(int(conn.get("hold_s", 600) / 0.5)):
                    self.chunk(b"\r\n")
                    time.sleep(0.5)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def line_bytes(self, item, conn):
        if "raw" in item:
            raw = item["raw"]
            return raw.encode("latin-1") if isinstance(raw, str) and item.get("latin1") else raw.encode()
        rules = conn.get("rules", [{"id": "1", "tag": "default"}])
        return json.dumps({"data": item, "matching_rules": rules}, ensure_ascii=False).encode()


def default_tweets():
    """The recorded fixtures' tweets (the gzip cassette's page and the twarc
    archive's data tweets), for the shared server when no file is given."""
    here = os.path.dirname(os.path.abspath(__file__))
    fix = os.path.join(os.path.dirname(here), "fixtures", "x_api")
    tweets = []
    try:
        raw, _ = load_cassette_body(os.path.join(fix, "test_client_search_recent_tweets.yaml"))
        tweets += json.loads(gzip.decompress(raw))["data"]
        for line in open(os.path.join(fix, "two_tweets.jsonl"), encoding="utf-8"):
            if line.strip():
                tweets += json.loads(line)["data"]
    except (OSError, ValueError, KeyError, AttributeError):
        pass
    return tweets


def register(server):
    from server import Response, json_response  # the shared server's types

    path = os.environ.get("PULSE_REPLAY_X_TWEETS")
    data_dir = os.environ.get("PULSE_REPLAY_DATA_DIR")
    messages = None  # whole stream lines (data, includes, matching_rules), as generated
    clock = None  # the recording's time (epoch seconds), for a --data-dir day
    if data_dir:
        messages = [l.rstrip("\r\n").encode() for l in open(os.path.join(data_dir, "x", "stream.jsonl"), encoding="utf-8")
                    if l.strip()]
        tweets = [json.loads(l)["data"] for l in messages]
        manifest = json.load(open(os.path.join(data_dir, "manifest.json"), encoding="utf-8"))
        day = [dt.datetime.strptime(manifest[k], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
               for k in ("from", "until")]
        clock = {"now": day[0], "start": day[0], "end": day[1] + 60}
        server.state["clock"] = lambda: clock["now"]
    elif path:
        tweets = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
    else:
        tweets = default_tweets()
    hold_s = float(os.environ.get("PULSE_REPLAY_X_HOLD_S", "5"))
    st = {"rules": [], "next_rule": 1000, "lock": threading.Lock()}
    server.state["x_api"] = st

    def authorized(req):
        want = os.environ.get("X_REPLAY_BEARER_TOKEN", "")
        got = req.headers.get("Authorization", "")
        return got == "Bearer " + want if want else got.startswith("Bearer ")

    def unauthorized():
        return json_response({"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, 401)

    def rules_get(req):
        if not authorized(req):
            return unauthorized()
        with st["lock"]:
            rules = list(st["rules"])
        meta = {"sent": "now", "result_count": len(rules)}
        return json_response({"data": rules, "meta": meta} if rules else {"meta": meta})

    def rules_post(req):
        if not authorized(req):
            return unauthorized()
        with st["lock"]:
            out, st["next_rule"] = add_rules(st["rules"], json.loads(req.body or b"{}"), st["next_rule"])
        return json_response(out, 201)

    def recent(req):
        if not authorized(req):
            return unauthorized()
        out = search_page(tweets, int(req.query.get("since_id", "0") or 0),
                          int(req.query.get("next_token", "0") or 0), 100)
        return json_response(out, 200, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449",
                                        "x-rate-limit-reset": str(int(time.time()) + 900)})

    def stream(req):
        if not authorized(req):
            return unauthorized()
        with st["lock"]:
            rules = [{"id": r["id"], "tag": r.get("tag", "")} for r in st["rules"]]

        def chunks():
            if clock is not None:
                if clock["now"] >= clock["end"]:
                    for _ in range(int(hold_s * 2)):
                        time.sleep(0.5)
                        yield b"\r\n"
                    return
                for line, t in zip(messages, tweets):
                    yield b"\r\n"
                    for piece in split_line(line):
                        yield piece
                    sent = dt.datetime.strptime(t["created_at"][:19], "%Y-%m-%dT%H:%M:%S")
                    clock["now"] = max(clock["now"], sent.replace(tzinfo=dt.timezone.utc).timestamp())
                clock["now"] = clock["end"]
                return
            for line in messages or ():
                yield b"\r\n"
                for piece in split_line(line):
                    yield piece
            for t in (sorted(tweets, key=lambda t: int(t["id"])) if messages is None else ()):
                yield b"\r\n"
                line = json.dumps({"data": t, "matching_rules": rules}, ensure_ascii=False).encode()
                for piece in split_line(line):
                    yield piece
            for _ in range(int(hold_s * 2)):
                time.sleep(0.5)
                yield b"\r\n"

        resp = Response(200, b"", None, "application/json; charset=utf-8")
        resp.chunks = chunks()
        return resp

    server.route("GET", r"/2/tweets/search/stream/rules", rules_get)
    server.route("POST", r"/2/tweets/search/stream/rules", rules_post)
    server.route("GET", r"/2/tweets/search/recent", recent)
    server.route("GET", r"/2/tweets/search/stream", stream)


def main():
    scenario = json.load(open(sys.argv[1], encoding="utf-8"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(scenario)
    server.log_path = sys.argv[3]
    server.log_lock = threading.Lock()
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, sys.argv[2])
    server.serve_forever()


if __name__ == "__main__":
    main()
