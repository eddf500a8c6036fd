"""Measures the alert path on this machine: webhook answer time and alert-to-fill time.

Starts the real runtime (both listeners, the agent process on the simulator) in a temporary data folder and
posts alerts over loopback HTTP, as TradingView would.

    .venv/bin/python bench/bench_alert_path.py [--alerts 300] [--concurrency 8]

Figures:
- answer: client-side time from sending the POST to reading the 200 (what TradingView waits for);
- ack: server-side received -> stored and acknowledged;
- fill: server-side received -> last fill reported by the agent (alert-to-fill);
- burst: the same, with ``--concurrency`` alerts in flight at once.
Results go to stdout as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.conftest import Live, start_live, stop_live  # noqa: E402


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def ms(a: str | None, b: str | None) -> float:
    """Milliseconds between two ISO timestamps."""
    assert a and b
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() * 1000


def run_sequential(live: Live, strategy: dict, n: int) -> dict[str, list[float]]:
    """Post ``n`` alerts one after another, each waited to its fill (an idle bridge, the common case)."""
    answer, ack, fill = [], [], []
    for i in range(n):
        side = "buy" if i % 2 == 0 else "sell"
        t0 = time.perf_counter()
        resp = live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"{side}","volume":0.01,"comment":"b{i}"}}')
        answer.append((time.perf_counter() - t0) * 1000)
        sig = live.wait_final(resp.json()["signal_id"])
        assert sig["status"] == "executed", sig
        t = sig["timings"]
        ack.append(ms(t["received_at"], t["acked_at"]))
        fill.append(ms(t["received_at"], t["filled_at"]))
    return {"answer": answer, "ack": ack, "fill": fill}


def run_burst(live: Live, strategy: dict, n: int, concurrency: int) -> dict[str, list[float]]:
    """Post ``n`` alerts with ``concurrency`` in flight (a burst of alerts firing on the same bar)."""
    answer: list[float] = []
    ids: list[int] = []

    def post(i: int) -> None:
        t0 = time.perf_counter()
        resp = live.post_alert(strategy, f'{{"symbol":"GBPUSD","action":"buy","volume":0.01,"comment":"c{i}"}}')
        answer.append((time.perf_counter() - t0) * 1000)
        ids.append(resp.json()["signal_id"])

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n)))
    sigs = [live.wait_final(i, timeout=120) for i in ids]
    elapsed = time.perf_counter() - started
    assert all(s["status"] == "executed" for s in sigs)
    fill = [ms(s["timings"]["received_at"], s["timings"]["filled_at"]) for s in sigs]
    return {"answer": answer, "fill": fill, "throughput": [n / elapsed]}


def row(name: str, values: list[float]) -> str:
    """A Markdown row: p50, p95, p99, max in ms."""
    return (f"| {name} | {statistics.median(values):.1f} | {pct(values, 95):.1f} | {pct(values, 99):.1f} "
            f"| {max(values):.1f} |")


def main() -> None:
    """Run both scenarios and print the tables."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        live = start_live(Path(tmp) / "data")
        try:
            strategy = live.create_strategy("bench", dedup_window_seconds=0)
            for i in range(10):  # warm-up: imports, connection pools, symbol cache
                live.wait_final(live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","comment":"w{i}"}}')
                                .json()["signal_id"])
            seq = run_sequential(live, strategy, args.alerts)
            burst = run_burst(live, strategy, args.alerts, args.concurrency)
        finally:
            stop_live(live)
    print(f"alerts: {args.alerts} sequential, {args.alerts} in a burst of {args.concurrency} concurrent posts\n")
    print("| measure (ms) | p50 | p95 | p99 | max |\n|---|---|---|---|---|")
    print(row("webhook answer, client side (sequential)", seq["answer"]))
    print(row("received -> acknowledged, server side", seq["ack"]))
    print(row("alert-to-fill (sequential)", seq["fill"]))
    print(row(f"webhook answer, client side (burst x{args.concurrency})", burst["answer"]))
    print(row(f"alert-to-fill (burst x{args.concurrency})", burst["fill"]))
    print(f"\nburst throughput: {burst['throughput'][0]:.0f} alerts/s executed end to end")


if __name__ == "__main__":
    main()
