"""A flood of requests cannot rotate the logs away (issue 9.11).

Before: a truncated body wrote a 4.3 KB traceback ("Exception in ASGI application ... ClientDisconnect"), and about
7,000 such requests rotated away all 30 MB of logs. Now a client that goes away mid-request is one short line, and
lines of one kind beyond 60 a minute are counted and written as one line.
"""

from __future__ import annotations

import logging
import re
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import App, all_signals
from tray.logs import LINES_PER_KIND, RateLimitFilter, setup_logging, teardown_logging

TRUNCATED = 2_000


def _summaries(text: str, what: str) -> int:
    """The lines counted, not written, of the kind whose template contains ``what``."""
    pattern = re.compile(r"(\d+) similar lines suppressed from \S+ to \S+: (.*)")
    return sum(int(m.group(1)) for m in pattern.finditer(text) if what in m.group(2))


@pytest.mark.skipif(sys.platform != "linux", reason="runs tvbridge as a process and reads /proc")
def test_thousands_of_truncated_bodies_leave_a_few_short_lines(tmp_path: Path) -> None:
    app = App(tmp_path)
    app.start(wait_agent=False)
    try:
        with app.admin() as admin:
            strategy = admin.post("/api/v1/strategies", json={"name": "flooded"}).json()
        path = httpx.URL(strategy["webhook_url"]).path
        request = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{\"symbol\": \"EU".encode()
        for _ in range(TRUNCATED):
            with socket.create_connection(("127.0.0.1", app.public_port)) as sock:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)  # and hang up: 980 bytes of the body never come
                assert sock.recv(1024) == b""  # the server saw it through (one at a time: none is evicted)
        # a real alert is still answered, and its access line still written
        answer = httpx.post(strategy["webhook_url"], content='{"symbol":"EURUSD","action":"buy"}')
        assert answer.status_code == 200
        with app.admin() as admin:
            assert [s["id"] for s in all_signals(admin, strategy["strategy_id"])] == [answer.json()["signal_id"]]
    finally:
        app.stop()  # a clean stop writes the counts the rate limit still holds
    text = (app.data_dir / "logs" / "tvbridge.log").read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text
    went_away = text.count("client went away before its request arrived whole; nothing was stored: POST "
                           "/api/v1/webhooks/tv/***")
    assert 1 <= went_away <= 2 * LINES_PER_KIND  # at most two minutes' worth, if the run straddled a window
    assert went_away + _summaries(text, "client went away") == TRUNCATED  # every one counted, none written twice
    assert "POST /api/v1/webhooks/tv/*** HTTP/1.1\" 200" in text
    assert len(text) < 100_000, f"{len(text)} bytes of log for {TRUNCATED} truncated requests"


def _log_lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_lines_beyond_the_limit_are_counted_and_summed_up_in_one_line(tmp_path: Path) -> None:
    clock = Clock()
    path = setup_logging(tmp_path, "flood", rate_limit=RateLimitFilter(per_window=60, window=60, clock=clock))
    flooded, quiet = logging.getLogger("uvicorn.error"), logging.getLogger("server.intake")
    try:
        for n in range(1_000):
            flooded.warning("Invalid HTTP request received from %s.", f"10.0.0.{n % 250}")
            if n % 100 == 0:
                quiet.info("stored signal %d", n)  # another kind: never held back by the flood
        clock.now += 61
        flooded.warning("Invalid HTTP request received from %s.", "10.0.0.1")
    finally:
        teardown_logging()
    lines = _log_lines(path)
    assert sum("uvicorn.error: Invalid HTTP request received" in line for line in lines) == 60 + 1  # + next window
    [summary] = [line for line in lines if "suppressed" in line]
    assert "tray.logs: 940 similar lines suppressed from " in summary
    assert summary.endswith(': uvicorn.error WARNING "Invalid HTTP request received from %s."')
    assert sum("stored signal" in line for line in lines) == 10
    assert lines.index(summary) < len(lines) - 1  # the count comes before the first line of the next window


def test_messages_that_differ_only_in_numbers_are_one_kind_and_each_line_counts_once(tmp_path: Path) -> None:
    clock = Clock()
    limit = RateLimitFilter(per_window=5, window=60, clock=clock)
    path = setup_logging(tmp_path, "kinds", rate_limit=limit)
    second = tmp_path / "second.log"
    extra = logging.FileHandler(second)
    extra.addFilter(limit)  # a second handler sharing the filter sees the same decisions, counted once
    logging.getLogger().addHandler(extra)
    try:
        for n in range(20):
            logging.getLogger("agent.worker").info(f"job {n} for signal #{n * 7}")  # noqa: G004 - the point
    finally:
        logging.getLogger().removeHandler(extra)
        extra.close()
        teardown_logging()  # writes the count early: the window ends with the logging
    lines = _log_lines(path)
    assert sum("agent.worker: job" in line for line in lines) == 5
    assert sum("15 similar lines suppressed" in line for line in lines) == 1
    assert sum("job" in line for line in second.read_text().splitlines()) == 5


def test_a_flood_of_404s_or_agent_polls_never_holds_back_the_webhooks_access_lines(tmp_path: Path) -> None:
    path = setup_logging(tmp_path, "access", rate_limit=RateLimitFilter(per_window=60, window=60, clock=Clock()))
    access = logging.getLogger("uvicorn.access")
    line = '%s - "%s %s HTTP/%s" %d'
    try:
        for n in range(300):
            access.info(line, "127.0.0.1:5", "GET", f"/wp-admin/{n}/x.php?a={n}", "1.1", 404)  # a scanner
            access.info(line, "127.0.0.1:6", "GET", "/api/v1/agents/default/jobs/next?wait=25.0", "1.1", 200)
            if n % 10 == 0:
                access.info(line, "127.0.0.1:7", "POST", f"/api/v1/webhooks/tv/SECRET{n}", "1.1", 200)
    finally:
        teardown_logging()
    text = path.read_text()
    written = [line for line in text.splitlines() if "uvicorn.access: " in line]
    assert sum("/wp-admin/" in line for line in written) == 60 and sum("jobs/next" in line for line in written) == 60
    assert text.count("POST /api/v1/webhooks/tv/*** HTTP/1.1") == 30 and "SECRET" not in text
    assert '240 similar lines suppressed' in text and 'uvicorn.access INFO "HTTP 404 answers"' in text
    assert 'uvicorn.access INFO "GET /api/v1/agents/default/jobs/next 200"' in text
