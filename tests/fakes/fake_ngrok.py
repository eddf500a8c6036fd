#!/usr/bin/env python3
"""A fake ``ngrok`` agent (v3.30 protocol) for offline end-to-end tests of the tunnel supervisor.

It is a real process that pyngrok launches exactly like the real agent, and it speaks the same contract
(reference notes on pyngrok, desktop-shell §1.5):

* ``ngrok --version`` prints ``ngrok version 3.30.0``.
* ``ngrok config add-authtoken T [--config P]`` prints ``Authtoken saved to configuration file: P``.
* ``ngrok start --none --log stdout --config P [--authtoken T] [--region R]`` binds the agent API on
  127.0.0.1 (port from the config's ``agent.web_addr``, 0 when absent) *before* printing the startup
  handshake (``starting web service`` with ``addr=``, ``client session established``,
  ``tunnel session started``), every line flushed, in the agent's logfmt shape.

Agent API (JSON): ``GET/POST /api/endpoints``, ``GET/DELETE /api/endpoints/<name>``, ``GET /api/status``,
400/404/502 error bodies ``{"error_code", "status_code", "msg", "details": {"err"}}``. One
``msg=end pg=... status=...`` log line per API request, like the real agent (this is what fills pyngrok's
pipe when nobody drains it).

Every endpoint gets a local "edge": a reverse proxy on a free 127.0.0.1 port that forwards any request
(method, path, query, body, headers) to the endpoint's upstream and is published in the endpoint JSON as
``x_fake_forward_url``. The endpoint ``url`` is the requested one, or ``https://<random>.ngrok-free.app``.

Failure injection, env ``FAKE_NGROK_MODE``:

* ``auth_error``: web service up, then the real ERR_NGROK_4018 ``eror``/``crit`` lines, exit 1. Starting
  without any authtoken (no ``--authtoken``, no ``agent.authtoken`` in the config) does the same, as the
  real agent does.
* ``bad_token``: like ``auth_error`` but ERR_NGROK_105, whose real text echoes the token back (tests use it
  to prove that the app redacts what the agent prints).
* ``bad_token_exit_first``: the ``bad_token`` lines, but written only after the process has exited (by a
  forked child that keeps its stdout), so pyngrok sees a dead process after the first line and stops
  reading before the error: the race a real agent wins when the reader is slow (POSIX only).
* ``no_network``: web service up, then ``failed to reconnect session`` (``dial tcp: i/o timeout``) every
  second; never ``tunnel session started``.
* ``hang``: one line, then silence forever.

Env ``FAKE_NGROK_BUSY_URLS`` (comma separated): creating an endpoint with one of these URLs fails the way
the real agent reports ERR_NGROK_334 ("already online"). Env ``FAKE_NGROK_STATE_FILE``: JSON lines
``{"event": "invoke", "pid", "t", "argv", "env_authtoken"}`` per invocation and ``{"event": "api", "pid", "t",
"url"}`` once the agent API listens, so tests can count starts, find the API and see how the token was passed.

Control endpoints (fake only): ``POST /_fake/offline`` (session lost: ``/api/status`` says
``reconnecting``, edges answer 502, ``failed to reconnect session`` every 0.5 s), ``POST /_fake/online``
(session back, endpoints re-established), ``POST /_fake/drop`` (the service forgets every endpoint),
``POST /_fake/exit`` (the process dies abruptly, exit status 3, as a crash).

Standard library + PyYAML only, so it runs with whatever Python runs the tests.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import yaml

VERSION = "3.30.0"

AUTH_4018 = (
    "authentication failed: Usage of ngrok requires a verified account and authtoken.\n\n"
    "Sign up for an account: https://dashboard.ngrok.com/signup\n"
    "Install your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken\r\n\r\n"
    "ERR_NGROK_4018\r\n"
)
AUTH_105 = (
    "authentication failed: The authtoken you specified does not look like a proper ngrok authtoken.\n"
    "Your authtoken: {token}\n"
    "Instructions to install your authtoken are on your ngrok dashboard:\n"
    "https://dashboard.ngrok.com/get-started/your-authtoken\r\n\r\nERR_NGROK_105\r\n"
)
DIAL_TIMEOUT = "dial tcp: lookup connect.ngrok-agent.com: i/o timeout"
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "host", "content-length",
}

_out_lock = threading.Lock()


# ----------------------------------------------------------------------------------------------- logging
def _quote(value: str) -> str:
    """Quote a logfmt value the way the agent does (Go ``%q``: escaped quotes, backslashes, CR, LF)."""
    if value and not any(c in value for c in ' "=\\\t\r\n'):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    return '"' + escaped + '"'


def log(lvl: str, msg: str, **fields: Any) -> None:
    """Print one agent log line (logfmt, like ngrok's ``--log stdout``) and flush it."""
    now = _dt.datetime.now(_dt.UTC).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")
    parts = [f"t={now}", f"lvl={lvl}", f"msg={_quote(msg)}"]
    parts += [f"{k}={_quote(str(v))}" for k, v in fields.items()]
    line = " ".join(parts) + "\n"
    with _out_lock:
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            # Go exits on EPIPE on stdout; so does the real agent on POSIX once its reader is gone.
            os._exit(2)


# ------------------------------------------------------------------------------------------------ state
class Agent:
    """All mutable state of the fake agent; guarded by ``lock``."""

    def __init__(self, region: str) -> None:
        self.lock = threading.Lock()
        self.online = True
        self.region = region
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.edges: dict[str, ThreadingHTTPServer] = {}
        self.requests: dict[str, int] = {}
        busy = os.environ.get("FAKE_NGROK_BUSY_URLS", "")
        self.busy_urls = {u.strip() for u in busy.split(",") if u.strip()}

    def status_doc(self) -> dict[str, Any]:
        with self.lock:
            online = self.online
        return {
            "status": "online" if online else "reconnecting",
            "agent_version": VERSION,
            "session": {"legs": [{"region": self.region, "latency": "12ms"}] if online else []},
            "uri": "/api/status",
        }


AGENT: Agent


def api_error(status: int, code: int, msg: str, err: str) -> tuple[int, dict[str, Any]]:
    return status, {"error_code": code, "status_code": status, "msg": msg, "details": {"err": err}}


def create_endpoint(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    name = body.get("name")
    upstream = (body.get("upstream") or {}).get("url") if isinstance(body.get("upstream"), dict) else None
    if not isinstance(name, str) or not name:
        return api_error(400, 102, "invalid tunnel configuration", "endpoint name is required")
    if not isinstance(upstream, str) or not upstream:
        return api_error(400, 102, "invalid tunnel configuration", "upstream.url is required")
    url = body.get("url") or f"https://{secrets.token_hex(6)}.ngrok-free.app"
    if "://" not in url:
        url = f"https://{url}"
    with AGENT.lock:
        if name in AGENT.endpoints:
            return api_error(400, 102, "invalid tunnel configuration",
                             f"endpoint with name {name!r} already exists")
        if url in AGENT.busy_urls or any(e["url"] == url for e in AGENT.endpoints.values()):
            err = (f"The endpoint '{url}' is already online. Either\n1. stop your existing endpoint first, "
                   "or\n2. start both endpoints with `--pooling-enabled` to load balance between them."
                   "\r\n\r\nERR_NGROK_334\r\n")
            log("eror", "failed to start tunnel", obj="tunnels", name=name, err=err)
            return api_error(502, 103, "failed to start tunnel", err)
    edge = start_edge(name, upstream)
    endpoint = {
        "name": name,
        "uri": f"/api/endpoints/{name}",
        "url": url,
        "upstream": {"url": upstream, "protocol": "http1"},
        "inspect": bool(body.get("inspect", True)),
        "pooling_enabled": bool(body.get("pooling_enabled", False)),
        "x_fake_forward_url": f"http://127.0.0.1:{edge.server_address[1]}",
    }
    with AGENT.lock:
        AGENT.endpoints[name] = endpoint
        AGENT.edges[name] = edge
        AGENT.requests[name] = 0
    log("info", "started tunnel", obj="tunnels", name=name, addr=upstream, url=url)
    return 201, endpoint


def delete_endpoint(name: str) -> bool:
    with AGENT.lock:
        endpoint = AGENT.endpoints.pop(name, None)
        edge = AGENT.edges.pop(name, None)
        AGENT.requests.pop(name, None)
    if edge is not None:
        threading.Thread(target=edge.shutdown, daemon=True).start()
    return endpoint is not None


# ------------------------------------------------------------------------------------------- the "edge"
def start_edge(name: str, upstream: str) -> ThreadingHTTPServer:
    """Start the local stand-in for ngrok's edge: a reverse proxy from a free loopback port to upstream."""
    target = urllib.parse.urlsplit(upstream)

    class Edge(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # Go sets TCP_NODELAY; without it keep-alive costs 40 ms a request

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with AGENT.lock:
                online = AGENT.online
                known = name in AGENT.endpoints
                if known:
                    AGENT.requests[name] += 1
            if not online or not known:
                self._reply(502, b"ngrok: the agent for this endpoint is offline (ERR_NGROK_3200)\n")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["X-Forwarded-For"] = self.client_address[0]
            headers["X-Forwarded-Proto"] = "https"
            headers["X-Forwarded-Host"] = urllib.parse.urlsplit(AGENT.endpoints[name]["url"]).netloc
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=30)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except OSError as exc:
                log("warn", "failed to dial upstream", obj="tunnels", name=name, err=str(exc))
                self._reply(502, f"ngrok: failed to reach the upstream {upstream}: {exc} (ERR_NGROK_8012)\n"
                            .encode())
                return
            finally:
                conn.close()
            log("info", "join connections", obj="join", l=f"{target.hostname}:{target.port}",
                r=f"{self.client_address[0]}:{self.client_address[1]}")
            self.send_response(resp.status, resp.reason)
            for key, value in resp.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _reply(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Edge)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name=f"edge-{name}").start()
    return server


# -------------------------------------------------------------------------------------------- agent API
class Api(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # Go sets TCP_NODELAY; without it keep-alive costs 40 ms a request

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def _send(self, status: int, doc: dict[str, Any] | None, started: float) -> None:
        data = b"" if status == 204 or doc is None else json.dumps(doc).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        dur = f"{(time.monotonic() - started) * 1000:.3f}ms"
        log("info", "end", obj="web", pg=self.path, id=secrets.token_hex(8), status=status, dur=dur)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else {}

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        started = time.monotonic()
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if path == "/api/status":
            self._send(200, AGENT.status_doc(), started)
        elif path == "/api/endpoints":
            with AGENT.lock:
                items = list(AGENT.endpoints.values())
            self._send(200, {"endpoints": items, "uri": "/api/endpoints"}, started)
        elif path.startswith("/api/endpoints/"):
            name = urllib.parse.unquote(path[len("/api/endpoints/"):])
            with AGENT.lock:
                endpoint = AGENT.endpoints.get(name)
                count = AGENT.requests.get(name, 0)
            if endpoint is None:
                self._send(*api_error(404, 100, "endpoint not found", f"no endpoint named {name!r}"), started)
            else:
                metrics = {"conns": {"count": count, "gauge": 0}, "http": {"count": count}}
                self._send(200, {**endpoint, "metrics": metrics}, started)
        else:
            self._send(*api_error(404, 100, "not found", f"unknown path {path!r}"), started)

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        started = time.monotonic()
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        try:
            body = self._body()
        except ValueError as exc:
            self._send(*api_error(400, 102, "invalid tunnel configuration", f"bad JSON: {exc}"), started)
            return
        if path == "/api/endpoints":
            if not isinstance(body, dict):
                error = api_error(400, 102, "invalid tunnel configuration", "expected an object")
                self._send(*error, started)
                return
            self._send(*create_endpoint(body), started)
        elif path == "/_fake/offline":
            set_online(False)
            self._send(200, {"ok": True}, started)
        elif path == "/_fake/online":
            set_online(True)
            self._send(200, {"ok": True}, started)
        elif path == "/_fake/drop":
            with AGENT.lock:
                names = list(AGENT.endpoints)
            for name in names:
                delete_endpoint(name)
            self._send(200, {"dropped": names}, started)
        elif path == "/_fake/exit":
            self._send(200, {"ok": True}, started)
            os._exit(3)
        else:
            self._send(*api_error(404, 100, "not found", f"unknown path {path!r}"), started)

    def do_DELETE(self) -> None:  # noqa: N802 - stdlib naming
        started = time.monotonic()
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if path.startswith("/api/endpoints/"):
            name = urllib.parse.unquote(path[len("/api/endpoints/"):])
            if delete_endpoint(name):
                self._send(204, None, started)
                return
            self._send(*api_error(404, 100, "endpoint not found", f"no endpoint named {name!r}"), started)
        else:
            self._send(*api_error(404, 100, "not found", f"unknown path {path!r}"), started)


def set_online(online: bool) -> None:
    with AGENT.lock:
        was = AGENT.online
        AGENT.online = online
    if was and not online:
        log("warn", "session closed, starting reconnect loop", obj="tunnels.session", err="EOF")
    elif online and not was:
        log("info", "client session established", obj="tunnels.session", id=secrets.token_hex(6))
        log("info", "tunnel session started", obj="tunnels.session")


def reconnect_noise(period: float) -> None:
    """While offline, log a reconnect failure every ``period`` seconds, like the agent's retry loop."""
    while True:
        time.sleep(period)
        with AGENT.lock:
            offline = not AGENT.online
        if offline:
            log("eror", "failed to reconnect session", obj="tunnels.session", err=DIAL_TIMEOUT)


# ------------------------------------------------------------------------------------------------- main
def parse_start(args: list[str]) -> dict[str, Any]:
    opts: dict[str, Any] = {"config": [], "authtoken": None, "region": None, "log": None}
    i = 0
    while i < len(args):
        arg = args[i]
        key, _, inline = arg.partition("=")
        if key in ("--config", "--authtoken", "--region", "--log"):
            value = inline if inline else (args[i + 1] if i + 1 < len(args) else "")
            i += 1 if inline else 2
            if key == "--config":
                opts["config"].extend(v for v in value.split(",") if v)
            else:
                opts[key[2:]] = value
        else:
            i += 1
    return opts


def load_config(paths: list[str]) -> dict[str, Any]:
    agent: dict[str, Any] = {}
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
        agent.update((doc.get("agent") or {}) if str(doc.get("version")) == "3" else doc)
    return agent


def record(event: str, **fields: Any) -> None:
    """Append one JSON line to ``$FAKE_NGROK_STATE_FILE`` (if set): ``{"event", "pid", "t", ...}``."""
    state_file = os.environ.get("FAKE_NGROK_STATE_FILE")
    if not state_file:
        return
    entry = {"event": event, "pid": os.getpid(), "t": time.time(), **fields}
    with open(state_file, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def fail_auth(err: str) -> None:
    log("eror", "failed to reconnect session", obj="tunnels.session", err=err)
    log("eror", "session closing", obj="tunnels.session", err=err)
    log("eror", "terminating with error", obj="app", err=err)
    log("crit", "command failed", err=err)
    sys.exit(1)


def exit_before_the_reader_looks(token: str) -> None:
    """Exit status 1 at once; a forked child writes the whole ``bad_token`` output once this process is gone."""
    parent = os.getpid()
    if os.fork() != 0:
        os._exit(1)
    while os.getppid() == parent:  # the condition is the parent's exit (the child is then re-parented)
        time.sleep(0.01)
    log("info", "open config file", path="ngrok.yml", err="nil")
    fail_auth(AUTH_105.format(token=token))


def start(args: list[str]) -> None:
    global AGENT
    opts = parse_start(args)
    mode = os.environ.get("FAKE_NGROK_MODE", "")
    if mode == "bad_token_exit_first":
        exit_before_the_reader_looks(opts["authtoken"] or "")
    log("info", "open config file", path=",".join(opts["config"]), err="nil")
    if mode == "hang":
        threading.Event().wait()
    agent_conf = load_config(opts["config"])
    token = opts["authtoken"] or agent_conf.get("authtoken") or os.environ.get("NGROK_AUTHTOKEN")
    AGENT = Agent(opts["region"] or "us")

    host, _, port = str(agent_conf.get("web_addr") or "127.0.0.1:0").rpartition(":")
    host = "127.0.0.1" if host in ("", "localhost") else host
    api = ThreadingHTTPServer((host, int(port or 0)), Api)
    api.daemon_threads = True
    threading.Thread(target=api.serve_forever, daemon=True, name="api").start()
    record("api", url=f"http://{host}:{api.server_address[1]}")
    log("info", "starting web service", obj="web", addr=f"{host}:{api.server_address[1]}", allow_hosts="[]")

    if mode == "auth_error" or not token:
        fail_auth(AUTH_4018)
    if mode == "bad_token":
        fail_auth(AUTH_105.format(token=token))
    if mode == "no_network":
        while True:
            time.sleep(1.0)
            log("eror", "failed to reconnect session", obj="tunnels.session", err=DIAL_TIMEOUT)
    log("info", "client session established", obj="tunnels.session", id=secrets.token_hex(6))
    log("info", "tunnel session started", obj="tunnels.session")
    threading.Thread(target=reconnect_noise, args=(0.5,), daemon=True, name="reconnect").start()
    threading.Event().wait()


def main(argv: list[str]) -> int:
    record("invoke", argv=argv, env_authtoken=bool(os.environ.get("NGROK_AUTHTOKEN")))
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    args = argv[1:]
    if not args or args[0] in ("--version", "version", "-v"):
        print(f"ngrok version {VERSION}", flush=True)
        return 0
    if args[:2] == ["config", "add-authtoken"]:
        opts = parse_start(args[3:])
        print(f"Authtoken saved to configuration file: {','.join(opts['config']) or 'ngrok.yml'}", flush=True)
        return 0
    if args[0] == "start":
        start(args[1:])
        return 0
    print(f"ERROR:  fake ngrok does not implement {' '.join(args)!r}", file=sys.stderr, flush=True)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
