#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Loopback HTTP peer for the http and registry tests: canned routes under /t/ and a
# fault-injecting reverse proxy to an upstream registry (python3 stdlib only).
#
# Prints "PORT <n>" on stdout once listening on 127.0.0.1 (kernel-chosen port), then
# serves until killed (https with --tls-cert/--tls-key). Routes:
#   /t/echo                 JSON {method, path, headers, body, client_port}
#   /t/bytes?n=N            N bytes of the pattern i % 251
#   /t/status?code=C        status C with body "status C"
#   /t/redirect?to=URL&code=C   redirect (C defaults to 302; no URL: to itself)
#   /t/stall?n=N            headers announcing 2N bytes, N bytes, then silence
#   /t/reset?n=N            headers announcing 2N bytes, N bytes, then a TCP reset
#   /__fault  (POST JSON)   queue a fault for upstream requests whose path contains
#                           "match": {"kind": "cut"|"status"|"stall"|"redirect"|"norange",
#                           "match": "/blobs/", "count": K, "after": N, "status": 503}
#   /__stats                JSON of the proxied requests seen (path, range, auth flag)
#                           (norange: forward without the Range header)
#   /__reset                clears faults and stats
#   /__blobstore/<path>     forwards <path> upstream (the target of "redirect" faults)
#   anything else           forwarded to --upstream when given, else 404
import argparse
import http.client
import http.server
import json
import socket
import ssl
import struct
import sys
import threading
import urllib.parse

LOCK = threading.Lock()
FAULTS = []
STATS = []


def pattern(n):
    return bytes(i % 251 for i in range(n))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, fmt, *args):  # keep the test output quiet
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset_connection(self):
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def stall(self):
        self.wfile.flush()
        # Hold the connection open without sending until the client gives up.
        self.connection.settimeout(60)
        try:
            self.connection.recv(1)
        except OSError:
            pass
        self.close_connection = True

    def partial(self, data, announced, then):
        self.send_response(200)
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(data)
        then()

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def dispatch(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        body = self.read_body()
        if url.path == "/t/echo":
            out = {"method": self.command, "path": self.path, "body": body.decode("latin-1"),
                   "headers": {k.lower(): v for k, v in self.headers.items()},
                   "client_port": self.client_address[1]}
            return self.reply(200, json.dumps(out).encode(), [("Content-Type", "application/json")])
        if url.path == "/t/bytes":
            return self.reply(200, pattern(int(query["n"])))
        if url.path == "/t/status":
            code = int(query["code"])
            return self.reply(code, f"status {code}".encode())
        if url.path == "/t/redirect":
            return self.reply(int(query.get("code", 302)), b"moved", [("Location", query.get("to", self.path))])
        if url.path == "/t/stall":
            n = int(query["n"])
            return self.partial(pattern(n), 2 * n, self.stall)
        if url.path == "/t/reset":
            n = int(query["n"])
            return self.partial(pattern(n), 2 * n, self.reset_connection)
        if url.path == "/__fault":
            with LOCK:
                FAULTS.append(json.loads(body))
            return self.reply(200)
        if url.path == "/__stats":
            with LOCK:
                out = json.dumps(STATS).encode()
            return self.reply(200, out, [("Content-Type", "application/json")])
        if url.path == "/__reset":
            with LOCK:
                FAULTS.clear()
                STATS.clear()
            return self.reply(200)
        if self.upstream is None:
            return self.reply(404, b"no such route")
        return self.proxy(body)

    def take_fault(self, path):
        with LOCK:
            for fault in FAULTS:
                if fault.get("match", "") in path and fault.get("count", 1) > 0:
                    fault["count"] = fault.get("count", 1) - 1
                    return dict(fault)
        return None

    def proxy(self, body):
        path = self.path
        via_blobstore = path.startswith("/__blobstore/")
        if via_blobstore:
            path = path[len("/__blobstore"):]
        with LOCK:
            STATS.append({"path": path, "method": self.command, "blobstore": via_blobstore,
                          "range": self.headers.get("Range"),
                          "auth": self.headers.get("Authorization") is not None})
        fault = None if via_blobstore else self.take_fault(path)
        if fault and fault["kind"] == "status":
            return self.reply(int(fault.get("status", 503)), b"injected failure",
                              [("Retry-After", "0")])
        if fault and fault["kind"] == "redirect":
            target = f"http://localhost:{self.server.server_address[1]}/__blobstore{path}"
            return self.reply(307, b"", [("Location", target)])
        conn = http.client.HTTPConnection(self.upstream, timeout=30)
        dropped = ("host", "connection") + (("range",) if fault and fault["kind"] == "norange" else ())
        headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        conn.request(self.command, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        data = resp.read()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        conn.close()
        if self.command == "HEAD":
            return None
        if fault and fault["kind"] in ("cut", "stall") and resp.status < 300:
            self.wfile.write(data[: int(fault.get("after", 0))])
            return self.reset_connection() if fault["kind"] == "cut" else self.stall()
        self.wfile.write(data)
        return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", help="host:port of the registry to forward to")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve https")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args()
    Handler.upstream = args.upstream
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
