#!/usr/bin/env python3
"""Replay server for the loader tests: serves recorded API responses on
127.0.0.1 at the APIs' documented paths, with paging, realistic rate-limit
headers and scripted faults.

  server.py [--port-file F] [--scenario S.json] [--module NAME ...] [--delay-ms N]
            [--data-dir DIR]
            [--tls-cert CERT.pem --tls-key KEY.pem]   (HTTPS instead of HTTP)

--data-dir serves a day made by demo/generate.py instead of the recorded
fixtures: DIR/upbit/KRW-BTC.json, DIR/binance/BTCUSDT.json and the stream
messages of DIR/x/stream.jsonl (sets PULSE_REPLAY_DATA_DIR for the modules).
A module may set server.state["clock"] (a function giving epoch seconds):
the time every response's Date header then shows (x_api.py does for a
--data-dir day: the replay's own clock, see there).

Routes come from modules in this folder; each has `register(server)` and
calls `server.route(method, path_regex, handler)`. The default modules are
every *.py here that defines `register` (exchanges.py: Upbit, Binance,
Coinone; x_api.py: the X API). A handler gets a Request and returns a
Response (or raises).

Faults (scenario JSON, a list of rules, also settable at run time with
POST /_replay/scenario): each rule
  {"path": "<regex on the path>", "skip": K, "count": N,
   "fault": "status" | "drop" | "gzip" | "garbage" | "delay" | "headers" | "huge",
   "status": 429, "headers": {"Retry-After": "1"}, "body": "...", "delay_ms": 0}
applies to the matching requests after the first K, N times (count -1: always).
"headers" adds the rule's headers to the normal response (Remaining-Req: ...
sec=0, say); "drop" promises the whole body and hangs up halfway; "huge"
sends a 200 with a valid but enormous body ("size" bytes).
GET /_replay/requests lists the requests served so far (path, query, time,
status) so tests can check what the loader asked for and when.
"""
import argparse
import email.utils
import gzip
import importlib
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))


class Request:
    def __init__(self, method, path, query, headers, body, match):
        self.method = method
        self.path = path
        self.query = query  # dict name -> last value
        self.headers = headers
        self.body = body
        self.match = match  # the route regex match


class Response:
    def __init__(self, status=200, body=b"", headers=None, content_type="application/json;charset=UTF-8"):
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = dict(headers or {})
        self.headers.setdefault("Content-Type", content_type)
        # A streaming response: an iterator of byte chunks sent with chunked
        # transfer encoding (the X filtered stream).
        self.chunks = None


def json_response(obj, status=200, headers=None):
    return Response(status, json.dumps(obj), headers)


class ReplayServer:
    def __init__(self, delay_ms=0):
        self.routes = []
        self.rules = []
        self.seen = {}  # rule index -> matching requests so far
        self.log = []
        self.lock = threading.Lock()
        self.delay_ms = delay_ms
        self.state = {}  # shared state for modules

    def route(self, method, pattern, handler):
        self.routes.append((method, re.compile(pattern + r"\Z"), handler))

    def set_scenario(self, rules):
        with self.lock:
            self.rules = list(rules)
            self.seen = {}

    def pick_fault(self, path):
        # Every rule counts every request matching its path, so "skip" means
        # the same thing whatever the other rules do; the first rule whose
        # window holds this request applies.
        chosen = None
        with self.lock:
            for i, rule in enumerate(self.rules):
                if not re.search(rule.get("path", ""), path):
                    continue
                n = self.seen.get(i, 0)
                self.seen[i] = n + 1
                skip = rule.get("skip", 0)
                count = rule.get("count", 1)
                if chosen is None and n >= skip and (count < 0 or n < skip + count):
                    chosen = rule
        return chosen

    def dispatch(self, method, path, query, headers, body):
        for m, rx, handler in self.routes:
            if m != method:
                continue
            match = rx.match(path)
            if match:
                return handler(Request(method, path, query, headers, body, match))
        return json_response({"error": "no route for " + path}, 404)


def make_handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def date_time_string(self, timestamp=None):
            clock = server.state.get("clock")
            if clock is not None and timestamp is None:
                timestamp = clock()
            return email.utils.formatdate(timestamp, usegmt=True)

        def _send(self, resp, fault):
            body = resp.body
            if fault and fault.get("fault") == "gzip":
                body = gzip.compress(body)
                resp.headers["Content-Encoding"] = "gzip"
            self.send_response(resp.status)
            for k, v in resp.headers.items():
                self.send_header(k, v)
            if resp.chunks is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for chunk in resp.chunks:
                        if not chunk:
                            continue
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if fault and fault.get("fault") == "drop":
                # Promise the whole body, send half, hang up.
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def _handle(self, method):
            parsed = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = parsed.path
            if path == "/_replay/requests":
                with server.lock:
                    resp = json_response(server.log)
                return self._send(resp, None)
            if path == "/_replay/scenario" and method == "POST":
                server.set_scenario(json.loads(body or b"[]"))
                return self._send(json_response({"ok": True}), None)
            if server.delay_ms:
                time.sleep(server.delay_ms / 1000.0)
            fault = server.pick_fault(path)
            if fault and fault.get("delay_ms"):
                time.sleep(fault["delay_ms"] / 1000.0)
            kind = fault.get("fault") if fault else None
            if kind == "status":
                resp = Response(fault.get("status", 500), fault.get("body", '{"error":"scripted fault"}'),
                                fault.get("headers"))
            elif kind == "garbage":
                resp = Response(200, fault.get("body", '[{"broken": '))
            elif kind == "huge":
                # A valid JSON array padded far beyond any real page.
                resp = Response(200, b"[" + b" " * int(fault.get("size", 100 << 20)) + b"]")
            else:
                try:
                    resp = server.dispatch(method, path, query, self.headers, body)
                except Exception as e:  # a bug in a module: make it visible
                    resp = json_response({"error": "replay handler failed: %r" % (e,)}, 500)
                if kind == "headers":
                    resp.headers.update(fault.get("headers", {}))
            with server.lock:
                server.log.append({"method": method, "path": path, "query": query, "time": time.time(),
                                   "status": resp.status, "fault": kind})
            self._send(resp, fault)

        def do_GET(self):
            self._handle("GET")

        def do_POST(self):
            self._handle("POST")

        def do_DELETE(self):
            self._handle("DELETE")

    return Handler


def default_modules():
    names = []
    for f in sorted(os.listdir(HERE)):
        if f.endswith(".py") and f != "server.py" and not f.startswith("_"):
            with open(os.path.join(HERE, f)) as fh:
                if "def register(" in fh.read():
                    names.append(f[:-3])
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--scenario", default=os.environ.get("PULSE_REPLAY_SCENARIO"))
    ap.add_argument("--module", action="append")
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--data-dir", default=os.environ.get("PULSE_REPLAY_DATA_DIR"))
    ap.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (and --tls-key)")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    if args.data_dir:
        os.environ["PULSE_REPLAY_DATA_DIR"] = os.path.abspath(args.data_dir)
    server = ReplayServer(args.delay_ms)
    sys.path.insert(0, HERE)
    for name in args.module or default_modules():
        importlib.import_module(name).register(server)
    if args.scenario:
        with open(args.scenario) as fh:
            server.set_scenario(json.load(fh))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(server))
    httpd.daemon_threads = True
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    port = httpd.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(str(port))
        os.rename(tmp, args.port_file)
    print("PORT %d" % port, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
