"""Measures the alert path on this machine: webhook answer time and alert-to-fill time.

Starts ``tvbridge run`` as its own process (both listeners, the agent process on the simulator) in a
temporary data folder and posts alerts to it over loopback HTTP from this process, as TradingView would.

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
import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


class Live:
    """A ``tvbridge run`` process and HTTP clients for its two listeners."""

    def __init__(self, data_dir: Path) -> None:
        ports = []
        for _ in range(2):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tray", "run", "--data-dir", str(data_dir), "--public-port", str(ports[0]),
             "--admin-port", str(ports[1])], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        info = data_dir / "runtime.json"
        deadline = time.monotonic() + 60
        while not info.exists():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("tvbridge run did not start")
            time.sleep(0.1)
        runtime = json.loads(info.read_text())
        token = (data_dir / "admin-token").read_text().strip()
        self.admin = httpx.Client(base_url=runtime["admin_url"], headers={"Authorization": f"Bearer {token}"})
        self.public = httpx.Client(base_url=runtime["public_url"], limits=httpx.Limits(max_connections=64))
        while not self.admin.get("/api/v1/account").json():
            time.sleep(0.1)

    def create_strategy(self, name: str, **settings: Any) -> dict[str, Any]:
        return dict(self.admin.post("/api/v1/strategies", json={"name": name, **settings}).json())

    def post_alert(self, strategy: dict[str, Any], body: str) -> httpx.Response:
        return self.public.post(httpx.URL(strategy["webhook_url"]).path, content=body.encode())

    def wait_final(self, signal_id: int, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            sig = dict(self.admin.get(f"/api/v1/signals/{signal_id}").json())
            if sig["status"] != "pending" or time.monotonic() > deadline:
                return sig
            time.sleep(0.005)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


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
        live = Live(Path(tmp) / "data")
        try:
            strategy = live.create_strategy("bench", dedup_window_seconds=0)
            for i in range(10):  # warm-up: imports, connection pools, symbol cache
                live.wait_final(live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","comment":"w{i}"}}')
                                .json()["signal_id"])
            seq = run_sequential(live, strategy, args.alerts)
            burst = run_burst(live, strategy, args.alerts, args.concurrency)
        finally:
            live.stop()
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
