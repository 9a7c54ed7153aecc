#!/usr/bin/env python3
"""A small concurrent client of pulse-gateway for the integration tests and
the benchmark: K threads, each posting R requests of N records to
POST /v1/streams/<stream>/records over its own keep-alive connection.

Every record is {"c": client, "r": request, "i": index, "pad": "..."}, so a
test can count each one in pulse.landing. With --retry, a request is sent
again (same body, same Idempotency-Key) after a connection error, a 5xx or a
429, until it is answered 200; --url-file names a file holding the base URL,
read again before each retry (a restarted gateway may listen elsewhere).
Each 200 answer is written to --out as one JSON line:
{"c", "r", "key", "status", "answer", "attempts", "replayed", "latency_ms"}.
--rate R paces the whole client set to R records per second (for latency), with
no catch-up burst after a stall.
--bodies DIR posts prepared bodies instead (the benchmark), shared round-robin.
"""
import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--url", help="base URL, e.g. http://127.0.0.1:8080")
    p.add_argument("--url-file")
    p.add_argument("--stream", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--requests", type=int, default=10)
    p.add_argument("--records", type=int, default=100)
    p.add_argument("--pad", type=int, default=40, help="bytes of padding per record")
    p.add_argument("--key-prefix", default="", help="send Idempotency-Key <prefix>-<client>-<request>")
    p.add_argument("--retry", action="store_true")
    p.add_argument("--deadline", type=float, default=120.0, help="give up retrying after this many seconds")
    p.add_argument("--cafile")
    p.add_argument("--ndjson", action="store_true")
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--bodies", help="post the *.json files of this folder (read beforehand), shared by the clients")
    p.add_argument("--out", required=True)
    return p.parse_args()


class Client:
    def __init__(self, args, cid, lock, out):
        self.a, self.cid, self.lock, self.out = args, cid, lock, out
        self.conn = None
        self.base = None

    def base_url(self):
        if self.a.url_file:
            with open(self.a.url_file) as f:
                return f.read().strip()
        return self.a.url

    def connect(self):
        base = self.base_url()
        u = urllib.parse.urlsplit(base)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=self.a.cafile)
            self.conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=60, context=ctx)
        else:
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.base = base

    def body(self, r):
        recs = [{"c": self.cid, "r": r, "i": i, "pad": "x" * self.a.pad} for i in range(self.a.records)]
        if self.a.ndjson:
            return "".join(json.dumps(x, separators=(",", ":")) + "\n" for x in recs).encode(), "application/x-ndjson"
        return json.dumps(recs, separators=(",", ":")).encode(), "application/json"

    def post(self, r, body, ctype, key):
        headers = {"Authorization": "Bearer " + self.a.token, "Content-Type": ctype}
        if key:
            headers["Idempotency-Key"] = key
        if self.conn is None or (self.a.url_file and self.base_url() != self.base):
            self.connect()
        self.conn.request("POST", "/v1/streams/%s/records" % self.a.stream, body=body, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        self.replayed = resp.getheader("Idempotent-Replayed", "") == "true"
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        return resp.status, data

    def run(self, pace, bodies=None):
        todo = range(self.cid, len(bodies), self.a.clients) if bodies is not None else range(self.a.requests)
        for r in todo:
            body, ctype = (bodies[r], "application/json") if bodies is not None else self.body(r)
            key = "%s-%d-%d" % (self.a.key_prefix, self.cid, r) if self.a.key_prefix else None
            if pace:
                pace(self.a.records)
            t0 = time.monotonic()
            attempts = 0
            while True:
                attempts += 1
                try:
                    status, data = self.post(r, body, ctype, key)
                except (OSError, http.client.HTTPException):
                    status, data = None, b""
                    if self.conn:
                        self.conn.close()
                    self.conn = None
                if status == 200:
                    break
                if not self.a.retry or time.monotonic() - t0 > self.a.deadline:
                    with self.lock:
                        self.out.write(json.dumps({"c": self.cid, "r": r, "key": key, "status": status,
                                                   "answer": data.decode("utf-8", "replace"),
                                                   "attempts": attempts}) + "\n")
                        self.out.flush()
                    break
                time.sleep(0.05)
            if status == 200:
                lat = (time.monotonic() - t0) * 1000.0
                with self.lock:
                    self.out.write(json.dumps({"c": self.cid, "r": r, "key": key, "status": 200,
                                               "answer": json.loads(data), "attempts": attempts,
                                               "replayed": self.replayed, "latency_ms": lat}) + "\n")
                    self.out.flush()


def main():
    a = parse_args()
    lock = threading.Lock()
    pace = None
    if a.rate > 0:
        plock = threading.Lock()
        next_due = [time.monotonic()]

        def pace(n):
            # After a stall (a restarted gateway or database) the clients go
            # on at the rate, without a burst to catch up.
            with plock:
                due = max(next_due[0], time.monotonic())
                next_due[0] = due + n / a.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    bodies = None
    if a.bodies:
        names = sorted(n for n in os.listdir(a.bodies) if n.endswith(".json"))
        bodies = [open(os.path.join(a.bodies, n), "rb").read() for n in names]
    with open(a.out, "w") as out:
        threads = [threading.Thread(target=Client(a, c, lock, out).run, args=(pace, bodies)) for c in range(a.clients)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.monotonic() - t0
    print("seconds %.3f" % secs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
