"""The parser is on the webhook's hot path: hostile bodies (long runs of spaces, quotes, braces, brackets,
keys) must cost time linear in their size — no regex backtracking blow-ups.

Linearity is checked as a ratio, not a time: the best of several runs of a 64 KiB body against the best of eight
runs in a row of a 1/8-size body of the same shape, interleaved. Linear work gives about 1x, quadratic about 8x; the
bound (3x) leaves room for noise. Both are measured in this thread's CPU time with the collector off, so other
processes taking the core (a loaded CI machine) do not enter the ratio. How fast the parser is lives in ``bench/``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import pytest

from server.alerts import MAX_BODY_BYTES, AlertRejected, ParseContext, extract_routing, parse_alert

CTX = ParseContext(default_volume_configured=True, default_symbol="EURUSD",
                   dialects=frozenset({"tradesgnl", "tradingview_default"}))


def _attempt(body: bytes) -> None:
    try:
        parse_alert(body, CTX)
    except AlertRejected:
        pass


def _cpu_seconds(run: Callable[[], Any]) -> float:
    start = time.thread_time()
    run()
    return time.thread_time() - start


#: Hostile body shapes, each built at a size of about ``n`` bytes.
HOSTILE: dict[str, Callable[[int], bytes]] = {
    "spaces": lambda n: b"buy " + b" " * n + b"x",
    "spaces-around-equals": lambda n: b"a" + b" " * (n // 2) + b"=" + b" " * (n // 2),
    "unclosed-quote": lambda n: b'buy "' + b"a" * n,
    "many-quotes": lambda n: b'"a' * (n // 2),
    "braces": lambda n: b"{{" * (n // 2),
    "brackets": lambda n: b"[" * n,
    "nested-objects": lambda n: b'{"a":' * (n // 5),
    "commas": lambda n: b"6012," + b"," * n,
    "pineconnector-params": lambda n: b"6012,buy,EURUSD," + b"x=1," * (n // 4),
    "key-values": lambda n: b"signal=buy " + b"x=1 " * (n // 4),
    "json-keys": lambda n: b'{"action":"buy","symbol":"E",' + b",".join(b'"k%d":1' % i for i in range(n // 13)) + b"}",
    "default-message": lambda n: b"order buy @ 1 filled on " + b"A" * n,
    "repeated-prefix": lambda n: b"order buy @ " * (n // 12),
    "digits": lambda n: b"buy EURUSD lot=" + b"1" * n,
    "placeholder-like": lambda n: b"{{a" * (n // 3),
}


#: One full body against eight 1/8-size ones: linear work about 1x, quadratic work about 8x.
MAX_GROWTH = 3.0


def _growth(run: Callable[[bytes], Any], shape: Callable[[int], bytes], repeat: int = 5) -> float:
    big, small = shape(MAX_BODY_BYTES - 100), shape((MAX_BODY_BYTES - 100) // 8)
    assert len(big) <= MAX_BODY_BYTES
    best_big = best_small = float("inf")
    gc.disable()
    try:
        for _ in range(repeat):
            best_big = min(best_big, _cpu_seconds(lambda: run(big)))
            best_small = min(best_small, _cpu_seconds(lambda: [run(small) for _ in range(8)]))
    finally:
        gc.enable()
    return best_big / max(best_small, 1e-6)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_bodies_cost_linear_time(name: str) -> None:
    assert _growth(_attempt, HOSTILE[name]) < MAX_GROWTH
    assert _growth(extract_routing, HOSTILE[name]) < MAX_GROWTH
