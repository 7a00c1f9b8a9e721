#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Bearer token server for docker-registry's `auth: token` (distribution token spec), for
# tests only (python3 stdlib + the openssl CLI, which signs the RS256 JWTs).
#
# Prints "PORT <n>" once listening on 127.0.0.1. Routes:
#   GET  /token?service=S&scope=repository:NAME:ACTIONS   a JWT granting ACTIONS on NAME to
#        --user/--password (HTTP Basic); anonymous callers get a token granting nothing;
#        wrong credentials get 401.
#   POST /__config  JSON {"field": "token"|"access_token", "expires_in": N|null}
#   GET  /__stats   JSON {"issued": N, "scopes": [...]}
#   The registry finds the signing key by the JWT "kid": libtrust's key ID of the key.
import argparse
import base64
import hashlib
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
STATE = {"issued": 0, "scopes": [], "field": "token", "expires_in": 300}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(key_path):
    der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i:i + 4] for i in range(0, len(encoded), 4))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    args = None
    kid = None

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, body, content_type="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/__config":
            with LOCK:
                STATE.update(json.loads(body))
            return self.reply(200, b"{}")
        return self.reply(404, b"{}")

    def caller(self):
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        if user == self.args.user and password == self.args.password:
            return user
        return False

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__stats":
            with LOCK:
                out = {"issued": STATE["issued"], "scopes": STATE["scopes"]}
            return self.reply(200, json.dumps(out).encode())
        if url.path != "/token":
            return self.reply(404, b"{}")
        user = self.caller()
        if user is False:
            return self.reply(401, b'{"details":"bad credentials"}')
        query = urllib.parse.parse_qs(url.query)
        access = []
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if user:
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": self.kid}
        claims = {"iss": self.args.issuer, "sub": user or "", "aud": self.args.service,
                  "exp": now + 3600, "nbf": now - 60, "iat": now, "jti": str(time.time_ns()),
                  "access": access}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode()))
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                                   input=signing_input.encode(), check=True,
                                   capture_output=True).stdout
        token = signing_input + "." + b64url(signature)
        with LOCK:
            STATE["issued"] += 1
            STATE["scopes"].extend(query.get("scope", []))
            out = {STATE["field"]: token}
            if STATE["expires_in"] is not None:
                out["expires_in"] = STATE["expires_in"]
        return self.reply(200, json.dumps(out).encode())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True, help="RSA private key (PEM) signing tokens")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    Handler.args = args
    Handler.kid = libtrust_key_id(args.key)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
