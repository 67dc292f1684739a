#!/usr/bin/env python3
"""A rotating token server on 127.0.0.1 for benchmarks: each refresh token is single-use.

Prints its URL on the first line of stdout, then serves until killed.
Login: POST /api/v1/token/ {"username": any, "password": "pw"}; refresh: POST /api/v1/token/refresh/.
"""
import itertools, json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counter = itertools.count(1)
current = {"refresh": None}


def issue():
    n = next(counter)
    current["refresh"] = f"refresh-{n}"
    return {"access": f"access-{n}", "refresh": current["refresh"], "access_lifetime": 900, "refresh_lifetime": 86400}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with lock:
            if self.path == "/api/v1/token/" and body.get("password") == "pw":
                status, out = 200, issue()
            elif self.path == "/api/v1/token/refresh/" and body.get("refresh") == current["refresh"]:
                status, out = 200, issue()
            else:
                status, out = 401, {"detail": "invalid"}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
