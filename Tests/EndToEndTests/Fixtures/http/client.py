#!/usr/bin/env python3
"""Checks the static-website example from the client side (Tests/EndToEndTests/WebsiteTests.swift):
curl for the everyday requests, raw sockets for keep-alive and for malformed and smuggling
requests, wrk for a short load. Usage: client.py HOST PORT. Exits non-zero with a message on the
first failure."""
import re
import shutil
import socket
import subprocess
import sys

HOST, PORT = sys.argv[1], int(sys.argv[2])
BASE = f"http://{HOST}:{PORT}"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def curl(*arguments):
    result = subprocess.run(["curl", "-s", "-m", "10", *arguments], capture_output=True)
    return result.stdout


def status_and_headers(*arguments):
    head = curl("-o", "/dev/null", "-D", "-", *arguments).decode()
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers


def read_response(sock, head_only=False):
    """Reads one response; returns (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            fail(f"the connection closed inside a response head: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    length = 0 if head_only else int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            fail("the connection closed inside a body")
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length], rest[length:]


def everyday():
    page = curl(BASE + "/")
    if b"Served by a unikernel" not in page:
        fail(f"GET / gave {page[:200]!r}")
    status, headers = status_and_headers("-I", BASE + "/css/site.css")
    if status != 200 or headers.get("content-type") != "text/css; charset=utf-8" or headers.get("content-length") != "69":
        fail(f"HEAD /css/site.css gave {status} {headers}")
    if curl("-r", "0-3", BASE + "/css/site.css") != b"body":
        fail("a byte range was not served")
    status, headers = status_and_headers("-r", "500-", BASE + "/css/site.css")
    if status != 416 or headers.get("content-range") != "bytes */69":
        fail(f"an unsatisfiable range gave {status} {headers}")
    status, headers = status_and_headers(BASE + "/index.html")
    status, _ = status_and_headers("-H", "If-None-Match: " + headers["etag"], BASE + "/index.html")
    if status != 304:
        fail(f"If-None-Match with the ETag gave {status}")
    status, _ = status_and_headers("-H", "If-Modified-Since: " + headers["last-modified"], BASE + "/")
    if status != 304:
        fail(f"If-Modified-Since gave {status}")
    status, _ = status_and_headers(BASE + "/no/such/page")
    if status != 404:
        fail(f"a missing page gave {status}")
    status, headers = status_and_headers("-X", "DELETE", BASE + "/")
    if status != 405 or headers.get("allow") != "GET, HEAD":
        fail(f"DELETE gave {status} {headers}")
    print("curl: GET, HEAD, ranges, conditional requests, 404 and 405 as expected")


def keep_alive():
    sock = socket.create_connection((HOST, PORT), timeout=10)
    # Three requests in one write (pipelining), then one more on the same connection.
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD /css/site.css HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /css/site.css HTTP/1.1\r\nHost: x\r\n\r\n")
    status1, _, body1, rest = read_response(sock)
    sock2 = sock
    data = rest
    # The later responses may already be buffered in `rest`.

    class Buffered:
        def __init__(self, pending):
            self.pending = pending

        def recv(self, n):
            if self.pending:
                chunk, self.pending = self.pending, b""
                return chunk
            return sock2.recv(n)
    buffered = Buffered(data)
    status2, headers2, body2, rest = read_response(buffered, head_only=True)
    buffered.pending = rest
    status3, _, body3, rest = read_response(buffered)
    if (status1, status2, status3) != (200, 200, 200) or body2 or len(body3) != 69 or headers2.get("content-length") != "69":
        fail(f"pipelined responses: {status1} {status2} {status3} {len(body2)} {len(body3)}")
    sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    buffered.pending = rest
    status4, headers4, _, _ = read_response(buffered)
    if status4 != 200 or headers4.get("connection") != "close":
        fail(f"the fourth request on the connection gave {status4} {headers4}")
    if sock.recv(1) != b"":
        fail("the server kept the connection after Connection: close")
    print("keep-alive: four requests on one connection, three of them pipelined")


MALFORMED = [
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n", 400),
    (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X: " + b"y" * 20000 + b"\r\n\r\n", 431),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n", 413),
    (b"GARBAGE\r\n\r\n", 400),
]


def malformed():
    for request, expected in MALFORMED:
        sock = socket.create_connection((HOST, PORT), timeout=10)
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server may answer and close before reading everything
        data = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except ConnectionResetError:
            pass
        sock.close()
        first = data.split(b"\r\n", 1)[0].decode(errors="replace")
        if not first.startswith(f"HTTP/1.1 {expected} "):
            fail(f"{request[:60]!r}... got {first!r}, expected {expected}")
    if b"Served by a unikernel" not in curl(BASE + "/"):
        fail("the server stopped serving after the malformed requests")
    print(f"malformed: {len(MALFORMED)} requests answered with their status; the server still serves")


def load():
    """wrk for two seconds over eight keep-alive connections: no socket errors, only 200s."""
    if not shutil.which("wrk"):
        print("SKIP: the wrk load: wrk is not installed")
        return
    result = subprocess.run(["wrk", "-t1", "-c8", "-d2s", BASE + "/"], capture_output=True, text=True, timeout=30)
    requests = re.search(r"(\d+) requests in", result.stdout)
    if result.returncode != 0 or not requests or int(requests.group(1)) == 0:
        fail(f"wrk did not run: {result.stdout}{result.stderr}")
    for problem in ("Socket errors", "Non-2xx or 3xx responses"):
        if problem in result.stdout:
            fail(f"wrk: {problem}:\n{result.stdout}")
    print(f"wrk: {requests.group(1)} requests in 2 s over 8 connections, no errors")


if __name__ == "__main__":
    everyday()
    keep_alive()
    malformed()
    load()
