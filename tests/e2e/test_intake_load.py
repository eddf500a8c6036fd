"""Fifty TradingView senders at once against the real server with its agent trading on the simulator: every alert
is answered within TradingView's 3 s, stored once, and ends in exactly one final status, traded exactly once.

Before the one writer (issue 8), about 16 alerts in flight deadlocked intake against the agent's result and snapshot
posts until a 30 s pool time-out, and those alerts were answered 500 and lost.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import start_live, stop_live
from tests.e2e.senders import post_concurrently

SENDERS = 50
ALERTS = 400
#: TradingView cancels a webhook request after 3 s and never resends it (tradingview-and-bridges.md).
TRADINGVIEW_TIMEOUT_S = 3.0


def deal_comments(data_dir: Path) -> Counter[str]:
    """The comment of every deal the simulated broker executed, counted (from its history journal on disk)."""
    found: Counter[str] = Counter()
    for journal in (data_dir / "simulator").rglob("*.history.jsonl"):
        for line in journal.read_text().splitlines():
            record = json.loads(line)
            if "deal" in record:
                found[record["deal"]["comment"]] += 1
    return found


def settle(admin: httpx.Client, strategy_id: int, timeout: float = 120.0) -> list[dict[str, Any]]:
    """The strategy's signals once none is pending any more."""
    deadline = time.monotonic() + timeout
    while admin.get("/api/v1/signals", params={"strategy_id": strategy_id, "status": "pending"}).json():
        assert time.monotonic() < deadline, "signals still pending"
        time.sleep(0.1)
    signals: list[dict[str, Any]] = []
    while page := admin.get(
        "/api/v1/signals", params={"strategy_id": strategy_id, "limit": 500, "offset": len(signals)}
    ).json():
        signals.extend(page)
    return signals


def test_fifty_senders_at_once_are_all_answered_in_time_stored_and_traded_once(tmp_path: Path) -> None:
    live = start_live(tmp_path / "data")
    try:
        # 400 alerts at once to one strategy: far past its default rate limits, which are not what this measures
        strategy = live.create_strategy(
            "bar close on 40 symbols", rate_limit_per_second=10_000, rate_limit_per_minute=600_000
        )
        url = httpx.URL(strategy["webhook_url"])
        sides = ("buy", "sell")
        bodies = [
            f'{{"symbol":"EURUSD","action":"{sides[n % 2]}","volume":0.01,"id":"load-{n}"}}'.encode()
            for n in range(ALERTS)
        ]
        answers = post_concurrently(url.host, url.port or 80, url.path, bodies, SENDERS)

        assert [a.status for a in answers] == [200] * ALERTS
        slowest = max(a.seconds for a in answers)
        assert slowest < TRADINGVIEW_TIMEOUT_S, f"an answer took {slowest:.2f} s"
        acked = [a.body["signal_id"] for a in answers]
        assert len(set(acked)) == ALERTS and all(a.body["status"] == "pending" for a in answers)

        signals = settle(live.admin, strategy["strategy_id"])
        assert sorted(s["id"] for s in signals) == sorted(acked)  # stored exactly once each, nothing else
        assert Counter(s["status"] for s in signals) == {"executed": ALERTS}
        assert {s["decided_by"] for s in signals} == {"agent"}
        deals = deal_comments(live.data_dir)
        assert all(deals[f"tvb:{i}"] == 1 for i in acked), "a signal was traded twice or not at all"
        assert live.count_rows("jobs") == ALERTS
    finally:
        stop_live(live)
