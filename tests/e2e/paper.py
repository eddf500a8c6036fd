"""Test helpers for the paper terminal of a running tvbridge: its desk (manual trades, market moves, stop-outs,
scripted faults: agent/mt5sim/desk.py) and waits on the ledger's state over the admin API."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from agent.atomic import write_atomic
from tests.e2e.conftest import Live

_numbers = itertools.count(1)


def desk(live: Live, op: str, agent_id: str = "default", timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
    """Drop one command into the agent's paper desk and wait for its answer file (the moment it took effect)."""
    folder = live.data_dir / "simulator" / agent_id / "desk"
    name = f"{time.time_ns()}-{next(_numbers):04d}-{op}"
    write_atomic(folder / f"{name}.json", json.dumps({"op": op, **fields}), durable=False)
    done = folder / f"{name}.done.json"
    deadline = time.monotonic() + timeout
    while not done.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the paper desk did not answer {op} {fields} within {timeout}s")
        time.sleep(0.01)
    answer: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
    assert answer["ok"], answer
    result: dict[str, Any] = answer["result"]
    return result


def quote(live: Live, symbol: str, bid: float) -> None:
    """Move the paper market of ``symbol`` to ``bid`` (ask = bid + the symbol's typical spread)."""
    desk(live, "quote", symbol=symbol, bid=bid)


def trades(live: Live, count: int, timeout: float = 15.0, **filters: Any) -> list[dict[str, Any]]:
    """The trades the filters match, oldest exit first, once there are at least ``count`` of them (the deal sync
    posts a job's deals right after it runs)."""
    deadline = time.monotonic() + timeout
    while True:
        page = live.admin.get("/api/v1/trades", params={"limit": 500, **filters}).json()
        if page["total"] >= count:
            return list(reversed(page["trades"]))
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} trades for {filters} within {timeout}s: {page}")
        time.sleep(0.05)


def events(live: Live, count: int, timeout: float = 15.0, **filters: Any) -> list[dict[str, Any]]:
    """The events the filters match, oldest first, once there are at least ``count``."""
    deadline = time.monotonic() + timeout
    while True:
        page = live.admin.get("/api/v1/events", params={"limit": 500, **filters}).json()
        if page["total"] >= count:
            return list(reversed(page["events"]))
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} events for {filters} within {timeout}s: {page}")
        time.sleep(0.05)


def shares(live: Live, symbol: str) -> dict[str | None, tuple[str, float]]:
    """Who holds what of ``symbol`` now, by strategy name (``None``: manual / other EA), from the latest snapshot
    as of every signal sent so far: ``{name: (type, lots)}``."""
    after = max(live.sent.values(), default=0)
    deadline = time.monotonic() + 10
    while True:
        found = live.admin.get("/api/v1/positions").json()
        if (found["as_of_signal"] or 0) >= after:
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"no snapshot as of signal {after}: {found}")
        time.sleep(0.02)
    return {p["strategy_name"]: (p["type"], p["volume"]) for p in found["positions"] if p["symbol"] == symbol}


def signal_deals(live: Live, signal_id: int, count: int, timeout: float = 15.0) -> dict[str, Any]:
    """``GET /api/v1/signals/{id}/deals`` once the ledger holds at least ``count`` of the signal's deals."""
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = live.admin.get(f"/api/v1/signals/{signal_id}/deals").json()
        if len(found["deals"]) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"fewer than {count} deals of signal {signal_id} within {timeout}s: {found}")
        time.sleep(0.05)
