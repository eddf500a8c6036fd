"""Measures legitimate alerts under a flood of requests to wrong URLs (issue 12: "a flood of hostile requests to the
public listener keeps answering legitimate alerts in time").

Starts ``tvbridge run`` (both listeners, the agent on the simulator) in a temporary folder, then for each scenario
posts ``--alerts`` legitimate alerts one after another to a real strategy while ``--connections`` keep-alive
connections post to unknown webhook URLs as fast as the server answers them:

- ``quiet``: no flood (the baseline);
- ``one source``: the flood from one address (the tunnel's X-Forwarded-For), which the per-source limit answers 429;
- ``many sources``: every flood request from another address, so only the limit over all sources holds it back.

Figures: the legitimate alerts' answer time (client-side, what TradingView waits for), the flood's answered
requests per second and their statuses, and the rows the refused senders left in ``security_events``.

    .venv/bin/python bench/bench_flood.py [--alerts 200] [--connections 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_alert_path import Live, pct  # noqa: E402


async def _flooder(host: str, port: int, stop: threading.Event, many: bool, statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    body = b'{"symbol":"EURUSD","action":"buy"}'
    try:
        while not stop.is_set():
            source = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}" if many else "198.51.100.66"
            secret = f"guess{random.randrange(10**9)}"
            writer.write(
                b"POST /api/v1/webhooks/tv/%s HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (secret.encode(), source.encode(), len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            length = next(int(v) for k, _, v in (x.partition(":") for x in lines[1:]) if k.lower() == "content-length")
            await reader.readexactly(length)
            statuses[int(lines[0].split()[1])] += 1
    finally:
        writer.close()


def flood(host: str, port: int, connections: int, stop: threading.Event, many: bool) -> Counter[int]:
    """Flood until ``stop``; the answered requests by HTTP status."""
    statuses: Counter[int] = Counter()

    async def run() -> None:
        await asyncio.gather(*(_flooder(host, port, stop, many, statuses) for _ in range(connections)))

    asyncio.run(run())
    return statuses


def scenario(live: Live, strategy: dict, alerts: int, connections: int, mode: str) -> dict[str, object]:
    """Legitimate alerts' answer times (ms) with the flood of ``mode`` running."""
    url = httpx.URL(strategy["webhook_url"])
    stop = threading.Event()
    result: dict[str, Counter[int]] = {}
    flooder = None
    if mode != "quiet":
        flooder = threading.Thread(
            target=lambda: result.setdefault("flood", flood(url.host, url.port or 80, connections, stop,
                                                            mode == "many sources"))
        )
        flooder.start()
        time.sleep(1.0)  # let the flood reach its pace before measuring
    started = time.perf_counter()
    answers = []
    for i in range(alerts):
        t0 = time.perf_counter()
        resp = live.post_alert(strategy, f'{{"symbol":"EURUSD","action":"buy","volume":0.01,"id":"{mode}-{i}"}}')
        answers.append((time.perf_counter() - t0) * 1000)
        assert resp.status_code == 200 and resp.json()["status"] in ("pending", "executed"), resp.text
    elapsed = time.perf_counter() - started
    stop.set()
    if flooder is not None:
        flooder.join(60)
    statuses = result.get("flood", Counter())
    return {
        "mode": mode,
        "answer_ms": {"p50": statistics.median(answers), "p99": pct(answers, 99), "max": max(answers)},
        "flood_per_second": round(sum(statuses.values()) / (elapsed + 1.0), 1) if statuses else 0,
        "flood_statuses": dict(statuses),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp()) / "data"
    live = Live(data)
    try:
        # the legitimate sender must not meet its own rate limit: this measures the flood, not the limit
        strategy = live.create_strategy("legit", rate_limit_per_second=10_000, rate_limit_per_minute=600_000)
        results = [scenario(live, strategy, args.alerts, args.connections, mode)
                   for mode in ("quiet", "one source", "many sources")]
        time.sleep(2.5)  # the monitor stores its counts once a second
        with sqlite3.connect(data / "tvbridge.db") as conn:
            rows, requests = conn.execute("SELECT count(*), coalesce(sum(count), 0) FROM security_events").fetchone()
    finally:
        live.stop()
    print("| scenario | legit answer p50 (ms) | p99 | max | flood answered/s | flood statuses |")
    print("|---|---|---|---|---|---|")
    for r in results:
        a = r["answer_ms"]
        assert isinstance(a, dict)
        print(f"| {r['mode']} | {a['p50']:.1f} | {a['p99']:.1f} | {a['max']:.1f} | {r['flood_per_second']} "
              f"| {json.dumps(r['flood_statuses'])} |")
    print(f"\nsecurity_events: {rows} rows for {requests} refused requests")


if __name__ == "__main__":
    main()
