"""Load generators for the intake benchmark: ``wrk`` for timed runs, a small asyncio client for fixed bursts.

Both send the same alerts: distinct (own ``id``), alternating buy and sell of 0.01 lots EURUSD.

- ``wrk`` runs keep a long per-request time-out (60 s) so that every answer that arrives during the run is
  measured as it is; requests still in flight when the run ends are not counted by wrk at all (the driver
  counts those the server stored anyway).
- The burst client applies TradingView's limit (``TV_TIMEOUT_S``): TradingView cancels a webhook request after
  three seconds and does not resend it (reference ``tradingview-and-bridges.md``, "Timeout"/"Retries"), so a
  later answer counts as unanswered and the sender goes on with the next alert on a new connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from procs import ROOT, pinned

LUA_SCRIPT = ROOT / "bench" / "intake.lua"

#: Seconds TradingView waits for a webhook's answer before it cancels the request.
TV_TIMEOUT_S = 3


def alert_body(tag: str, n: int) -> bytes:
    """The ``n``-th alert of run ``tag``, exactly as ``bench/intake.lua`` builds it."""
    side = "sell" if n % 2 == 0 else "buy"
    return f'{{"symbol":"EURUSD","action":"{side}","volume":0.01,"id":"{tag}-0-{n}"}}'.encode()


@dataclass
class LoadResult:
    """One load run. Latencies are the client-side answer times in milliseconds; ``statuses`` counts answers by
    HTTP status; ``socket_errors`` counts connect/read/write errors and time-outs; ``ids`` are the signal ids
    answered 200 (the acknowledged alerts). Latency figures cover the answered requests only."""

    senders: int
    seconds: float
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]
    socket_errors: int
    ids: list[int] = field(default_factory=list)

    @property
    def acked(self) -> int:
        """Alerts answered 200."""
        return self.statuses.get("200", 0)

    @property
    def non_200(self) -> int:
        """Answers other than 200, plus requests that got no answer at all (socket errors, time-outs)."""
        return sum(n for code, n in self.statuses.items() if code != "200") + self.socket_errors

    @property
    def throughput(self) -> float:
        """Acknowledged alerts per second."""
        return self.acked / self.seconds if self.seconds else 0.0


def have_wrk() -> bool:
    """True when ``wrk`` is on PATH (Debian: ``apt-get install -y wrk``)."""
    return shutil.which("wrk") is not None


def run_wrk(url: str, *, senders: int, seconds: float, tag: str, out_dir: Path, core: int | None,
            timeout_s: int = 60) -> LoadResult:
    """Post distinct alerts to ``url`` from ``senders`` keep-alive connections for ``seconds`` (one wrk thread,
    pinned to ``core``). ``timeout_s`` is wrk's latency limit: answers slower than it count as time-outs."""
    out = out_dir / f"wrk-{tag}.json"
    command = pinned(["wrk", "-t1", f"-c{senders}", f"-d{round(seconds)}s", f"--timeout={timeout_s}s", "-s",
                      str(LUA_SCRIPT), url], core)
    env = {**os.environ, "WRK_TAG": tag, "WRK_OUT": str(out)}
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   timeout=seconds + timeout_s + 30)
    raw = json.loads(out.read_text())
    errors = raw["errors"]
    return LoadResult(
        senders=senders,
        seconds=raw["duration_us"] / 1e6,
        requests=raw["requests"],
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        statuses={str(k): int(v) for k, v in raw["statuses"].items()},
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        ids=[int(i) for i in raw["ids"]],
    )


async def _send_all(host: str, port: int, path: str, bodies: list[bytes], senders: int,
                    answer_timeout: float) -> tuple[list[float], dict[str, int], list[int]]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    ids: list[int] = []
    queue = list(reversed(bodies))

    async def sender() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while queue:
            body = queue.pop()
            head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n").encode()
            started = time.perf_counter()
            try:
                async with asyncio.timeout(answer_timeout):
                    if connection is None:
                        connection = await asyncio.open_connection(host, port)
                    connection[1].write(head + body)
                    status, payload = await _read_response(connection[0])
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                if connection is not None:  # unanswered: give up on this connection, go on with a new one
                    connection[1].close()
                    connection = None
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 200:
                signal_id = json.loads(payload).get("signal_id")
                if signal_id is not None:
                    ids.append(int(signal_id))
        if connection is not None:
            connection[1].close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    return latencies, statuses, ids


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length (what uvicorn sends for a JSON answer)."""
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


def burst(url: str, *, count: int, senders: int, tag: str, timeout: float = TV_TIMEOUT_S) -> LoadResult:
    """Post exactly ``count`` distinct alerts to ``url`` from ``senders`` concurrent keep-alive connections, as
    fast as they are answered (a strategy firing on many symbols at one bar close). An answer not read within
    ``timeout`` seconds counts as unanswered (``socket_errors``)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    bodies = [alert_body(tag, n) for n in range(1, count + 1)]
    started = time.perf_counter()
    latencies, statuses, ids = asyncio.run(
        _send_all(parts.hostname or "127.0.0.1", parts.port or 80, parts.path, bodies, senders, timeout)
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies) or [0.0]
    return LoadResult(
        senders=senders,
        seconds=elapsed,
        requests=len(latencies),
        p50_ms=ordered[len(ordered) // 2],
        p99_ms=ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)],
        max_ms=ordered[-1],
        statuses=statuses,
        socket_errors=count - len(latencies),
        ids=ids,
    )
