#!/usr/bin/env python3
"""Slowloris-style clients for test_gateway_limits.sh: opens N connections
to HOST:PORT, each sending the start of a request and then one more header
byte every --interval seconds for --trickle seconds (so no inactivity
timeout shorter than the interval ends it), then stays silent for --hold
seconds. With --body, the headers are whole and the body trickles instead.
Prints one JSON line: how many connections were opened, how many the server
had closed while we trickled, and how many by the end of the hold.
Writes "trickling" to --ready-file once every connection is open."""
import argparse
import json
import socket
import time


def closed(s):
    try:
        s.setblocking(False)
        data = s.recv(4096)
        return data == b"" or data.startswith(b"HTTP/1.1")  # closed, or answered (and so done)
    except BlockingIOError:
        return False
    except OSError:
        return True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--interval", type=float, default=1.0)
    p.add_argument("--trickle", type=float, default=5.0)
    p.add_argument("--hold", type=float, default=0.0)
    p.add_argument("--body", action="store_true")
    p.add_argument("--token", default="none")
    p.add_argument("--ready-file")
    a = p.parse_args()
    socks = []
    for _ in range(a.connections):
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
        except OSError:
            continue
        head = b"POST /v1/streams/slow/records HTTP/1.1\r\nHost: x\r\n"
        if a.body:
            head += b"Authorization: Bearer " + a.token.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
        else:
            head += b"X-Slow: "
        try:
            s.sendall(head)
        except OSError:
            pass
        socks.append(s)
    if a.ready_file:
        with open(a.ready_file, "w") as f:
            f.write("trickling\n")
    end = time.monotonic() + a.trickle
    while time.monotonic() < end:
        time.sleep(a.interval)
        for s in socks:
            try:
                s.setblocking(True)
                s.sendall(b"1" if a.body else b"a")
            except OSError:
                pass
    closed_while_trickling = sum(closed(s) for s in socks)
    time.sleep(a.hold)
    closed_at_end = sum(closed(s) for s in socks)
    for s in socks:
        s.close()
    print(json.dumps({"opened": len(socks), "closed_while_trickling": closed_while_trickling,
                      "closed_at_end": closed_at_end}))


if __name__ == "__main__":
    main()
