"""The parser is on the webhook's hot path: typical bodies parse well under 1 ms, and hostile 64 KiB bodies
(long runs of spaces, quotes, braces, brackets, keys) stay linear — no regex backtracking blow-ups.

Bounds are generous (a shared 2-core CI machine) and measure the best of a few runs to ignore noise.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from server.alerts import MAX_BODY_BYTES, AlertRejected, ParseContext, extract_routing, parse_alert
from tests.server.alerts.test_corpus import CORPUS

CTX = ParseContext(default_volume_configured=True, default_symbol="EURUSD",
                   dialects=frozenset({"tradesgnl", "tradingview_default"}))


def _attempt(body: bytes) -> None:
    try:
        parse_alert(body, CTX)
    except AlertRejected:
        pass


def _best_seconds(run: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def test_typical_bodies_parse_well_under_a_millisecond() -> None:
    bodies = [body.encode() for body in CORPUS]
    loops = 50

    def run() -> None:
        for _ in range(loops):
            for body in bodies:
                _attempt(body)

    mean = _best_seconds(run) / (loops * len(bodies))
    assert mean < 0.0005, f"mean parse time {mean * 1e6:.0f} µs"


HOSTILE = {
    "spaces": b"buy " + b" " * 65000 + b"x",
    "spaces-around-equals": b"a" + b" " * 30000 + b"=" + b" " * 30000,
    "unclosed-quote": b'buy "' + b"a" * 65000,
    "many-quotes": b'"a' * 32000,
    "braces": b"{{" * 32000,
    "brackets": b"[" * 65000,
    "nested-objects": b'{"a":' * 13000,
    "commas": b"6012," + b"," * 65000,
    "pineconnector-params": b"6012,buy,EURUSD," + b"x=1," * 16000,
    "key-values": b"signal=buy " + b"x=1 " * 16000,
    "json-keys": b'{"action":"buy","symbol":"E",' + b",".join(b'"k%d":1' % i for i in range(5000)) + b"}",
    "default-message": b"order buy @ 1 filled on " + b"A" * 65000,
    "repeated-prefix": b"order buy @ " * 5000,
    "digits": b"buy EURUSD lot=" + b"1" * 60000,
    "placeholder-like": b"{{a" * 21000,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_stay_fast(name: str) -> None:
    body = HOSTILE[name][:MAX_BODY_BYTES]
    assert _best_seconds(lambda: _attempt(body), repeat=2) < 0.25
    assert _best_seconds(lambda: extract_routing(body), repeat=2) < 0.25
