"""The public listener under generated requests, over real HTTP (issue 9: "no input crashes a process").

Hypothesis varies the method, the path (the strategy's webhook, other secrets, the universal endpoint, admin routes
that must not exist here, odd and long paths), the query, the headers (content types and encodings, arbitrary
names and values) and the body (alerts of every format, binary, over the 64 KiB limit); a second test sends
arbitrary bytes as a request. Every answer is a 2xx, 4xx or the documented 503, never a 500; an alert posted to a
webhook is answered 200 and stored as it came; the listener's own routes stay the only ones; nothing is logged
as an error; and the same runtime still answers ``/healthz`` and takes a real alert afterwards.

The three alert crash classes of issue 9 item 3 are regression cases over the same path, with an agent trading
them: each ends with one outcome and a sentence, and the agent never restarts.

Seeded with the run's seed (tests/reliability/conftest.py); longer: ``TVBRIDGE_FUZZ_EXAMPLES=5000``.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from tests.agent.test_crash_safety import json_alerts, pineconnector_alerts
from tests.e2e.conftest import Live, start_live, stop_live
from tests.reliability.conftest import SEED, scaled

EXAMPLES = scaled("TVBRIDGE_FUZZ_EXAMPLES", 400)
MAX_BODY = 64 * 1024

#: Routes of the admin listener: none of them may answer on the public one.
ADMIN_PATHS = ["/api/v1/strategies", "/api/v1/signals", "/api/v1/settings", "/docs", "/openapi.json",
               "/api/v1/agents/default/jobs/next", "/", "/sign-in", "/api/v1/auth/session"]


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, dict[str, Any]]]:
    """A runtime without an agent (alerts are stored and wait) and a strategy that stores every copy."""
    live = start_live(tmp_path_factory.mktemp("fuzz") / "data", spawn_agent=False)
    strategy = live.create_strategy("fuzzed", dedup_window_seconds=0)
    yield live, strategy
    stop_live(live)


TEXT = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
TOKEN = st.from_regex(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,24}", fullmatch=True)
METHODS = st.one_of(st.sampled_from(["POST"] * 6 + ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
                    st.from_regex(r"[A-Z]{1,12}", fullmatch=True))
CONTENT_TYPES = st.one_of(
    st.sampled_from(["text/plain", "text/plain; charset=utf-8", "application/json",
                     "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/octet-stream", "", "*/*", "text/html; charset=ebcdic"]),
    st.text(TEXT, max_size=60),
)
BODIES = st.one_of(
    json_alerts().map(str.encode),
    pineconnector_alerts().map(str.encode),
    st.binary(max_size=2_000),
    st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"{", b"\x00" * 100, b"buy EURUSD lot=0.1", b"\xef\xbb\xbf{\"symbol\":\"EURUSD\"}"]),
    st.integers(MAX_BODY - 2, MAX_BODY + 5_000).map(lambda n: b"x" * n),
)
EXTRA_HEADERS = st.dictionaries(
    TOKEN.filter(lambda n: n.lower() not in {"content-length", "transfer-encoding", "host", "connection", "expect",
                                             "te", "upgrade", "content-type"}),
    st.text(TEXT, max_size=80).map(str.strip),
    max_size=6,
)


@st.composite
def requests(draw: st.DrawFn, secret: str) -> tuple[str, str, dict[str, str], bytes]:
    target = draw(st.sampled_from(["webhook"] * 5 + ["universal", "other secret", "admin", "healthz", "odd"]))
    path = {
        "webhook": f"/api/v1/webhooks/tv/{secret}",
        "universal": "/api/v1/webhooks/tv",
        "other secret": "/api/v1/webhooks/tv/" + quote(draw(st.text(max_size=60)), safe=""),
        "admin": draw(st.sampled_from(ADMIN_PATHS)),
        "healthz": "/healthz",
        "odd": "/" + "/".join(quote(p, safe="") for p in draw(st.lists(st.text(max_size=30), max_size=5))),
    }[target]
    if draw(st.booleans()):
        path += "?" + quote(draw(st.text(max_size=100)), safe="=&")
    if draw(st.integers(0, 30)) == 0:
        path += "/" + "a" * draw(st.integers(1_000, 8_000))
    headers = draw(EXTRA_HEADERS)
    if (content_type := draw(st.none() | CONTENT_TYPES)) is not None:
        headers["Content-Type"] = content_type.strip()
    if draw(st.integers(0, 8)) == 0:
        headers["Content-Encoding"] = draw(st.sampled_from(["gzip", "deflate", "br", "identity", "x-unknown"]))
    method = "POST" if target in ("webhook", "universal") and draw(st.integers(0, 5)) else draw(METHODS)
    body = draw(BODIES) if method not in ("GET", "HEAD") else b""
    event(f"target: {target}")
    return method, path, headers, body


#: The answer to a refused sender over its per-source limit.
RATE_LIMITED = {"signal_id": None, "status": "rate_limited"}


@seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_no_request_gets_a_server_error_and_every_alert_is_stored_as_it_came(
    public: tuple[Live, dict[str, Any]], caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    live, strategy = public
    secret = httpx.URL(strategy["webhook_url"]).path.rsplit("/", 1)[1]
    method, path, headers, body = data.draw(requests(secret))
    with caplog.at_level(logging.WARNING):
        # An absolute URL: httpx refuses a relative one whose path starts with "//", which a server must take
        resp = live.public.request(method, f"{live.public.base_url}".rstrip("/") + path, headers=headers, content=body)
    assert resp.status_code < 500, (resp.status_code, resp.text)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    route = unquote(path.split("?", 1)[0])
    if route == f"/api/v1/webhooks/tv/{secret}" and method == "POST":
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        assert answer["status"] in ("pending", "rejected", "discarded", "duplicate"), answer
        sig = live.admin.get(f"/api/v1/signals/{answer['signal_id']}").json()
        assert sig["status"] == answer["status"]
        assert sig["raw_payload"] == body[:MAX_BODY].decode("utf-8", errors="replace")
        if sig["status"] == "rejected":
            assert sig["error_message"] and "Traceback" not in sig["error_message"]
        event(f"webhook: {answer['status']}")
    elif re.fullmatch(r"/api/v1/webhooks/tv/[^/]+", route) and method == "POST":
        # a wrong URL is ignored, or, past the per-source limit for refused senders (a fuzzer posts faster than
        # 20 a second from one address), answered 429 at once (server/ratelimits.py, docs/alerts.md "Rate limits")
        assert resp.json() in (ignored := {"signal_id": None, "status": "ignored"}, RATE_LIMITED), resp.text
        assert resp.status_code == (200 if resp.json() == ignored else 429), resp.text
    elif route == "/api/v1/webhooks/tv" and method == "POST":
        assert resp.status_code == 200 or (resp.status_code == 429 and resp.json() == RATE_LIMITED), resp.text
    elif route == "/healthz" and method == "GET":
        assert resp.status_code == 200
    else:  # nothing else answers here (a trailing slash is redirected to the route without it)
        assert resp.status_code in (307, 400, 404, 405), (method, path, resp.status_code)


RAW_PREFIXES = st.sampled_from([b"", b"POST /api/v1/webhooks/tv/x HTTP/1.1\r\n",
                                b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                                b"POST / HTTP/1.0\r\nContent-Length: 99999999999999999999\r\n\r\n",
                                b"POST /api/v1/webhooks/tv HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                b"GET / HTTP/9.9\r\n\r\n", b"\r\n\r\n\r\n"])


@seed(SEED)
@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=list(HealthCheck))
@given(prefix=RAW_PREFIXES, tail=st.binary(max_size=600))
def test_arbitrary_bytes_get_no_server_error(
    public: tuple[Live, dict[str, Any]], caplog: pytest.LogCaptureFixture, prefix: bytes, tail: bytes
) -> None:
    live, _ = public
    port = httpx.URL(str(live.public.base_url)).port
    with caplog.at_level(logging.WARNING), socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(prefix + tail)
        sock.shutdown(socket.SHUT_WR)  # and no more: the server answers what it got, or closes
        sock.settimeout(15)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    if answer:
        status = answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.") else b"?"
        event(f"answered {status.decode(errors='replace')}")
        assert answer.startswith(b"HTTP/1.") and not status.startswith(b"5"), answer[:200]
    else:
        event("closed without an answer")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]
    assert live.public.get("/healthz").status_code == 200


def test_after_the_fuzz_the_listener_still_takes_an_alert(public: tuple[Live, dict[str, Any]]) -> None:
    live, strategy = public
    resp = live.post_alert(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.1}')
    assert resp.status_code == 200 and resp.json()["status"] == "pending"


# -- the crash classes of issue 9 item 3, end to end ----------------------------------------------------------

CRASH_CLASSES = {
    "sl 1e23 (InvalidOperation)": ('{"symbol":"EURUSD","action":"buy","volume":0.1,"sl":1e23}', "rejected",
                                   "too large to be a real value"),
    "tp_price 1e23, PineConnector": ("60123456789,buy,EURUSD,risk=0.1,tp_price=100000000000000000000000", "rejected",
                                     "too large to be a real value"),
    "entry 1e-300 with margin sizing (DivisionByZero)": (
        '{"symbol":"EURUSD","action":"buylimit","vol_pct_bal_margin":1,"entry_price":1e-300}', "rejected",
        "too close to 0"),
    "alert price rounding to 0 in paper mode (ValueError)": (
        '{"symbol":"EURUSD","action":"buy","price":0.000001}', "failed", "not a usable price for EURUSD"),
}


def test_the_alerts_that_crashed_the_agent_end_with_a_sentence_and_trading_goes_on(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data")
    try:
        agent = live.runtime.agent
        assert agent is not None and agent.proc is not None
        pid = agent.proc.pid
        strategy = live.create_strategy("crash classes")
        for name, (body, status, sentence) in CRASH_CLASSES.items():
            sig = live.trade(strategy, body)
            assert sig["status"] == status and sentence in (sig["error_message"] or ""), (name, sig)
        assert live.trade(strategy, '{"symbol":"EURUSD","action":"buy","lots":0.1}')["status"] == "executed"
        assert agent.restarts == 0 and agent.proc.pid == pid and agent.proc.poll() is None
    finally:
        stop_live(live)
