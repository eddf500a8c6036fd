"""Intake ceiling comparison: tvbridge against bare FastAPI + ``sqlite3`` under the same load, in one run.

    .venv/bin/python bench/bench_intake.py [--seconds 10] [--burst 500] [--json FILE]
    .venv/bin/python bench/bench_intake.py --quick          # smoke run, ~20 s (tests/test_bench_intake.py)

Order: ceiling, tvbridge, ceiling again (so machine drift shows; ratios are to the mean of the two ceiling runs).
The server under test runs on one core (``--server-core``, default 0) and the load generator and this driver on
the other (``--load-core``, default 1); ``tvbridge run``'s agent process inherits the server's core.

Every request is a distinct alert (own ``id``; buy/sell 0.01 lots EURUSD alternating) that tvbridge stores,
queues and executes on the simulator broker with a strategy at its defaults (no trade cap). Figures:

- ``wrk`` at 1 and ``--senders`` (50) concurrent keep-alive connections for ``--seconds``: acknowledged alerts/s,
  answer p50/p99/max (client side), non-200 answers (plus requests never answered), then, for tvbridge, whether
  every acknowledged alert reached a final status (waited for after each run);
- alert received -> ``order_send`` called (the signal's ``timings.send_ms``) and -> filled, for alerts posted one
  every ``--pace-ms`` (an idle bridge: no queue in front of the agent);
- a ``--burst`` of alerts from ``--senders`` connections, each answer given TradingView's 3 s: the drain time,
  first alert received -> last alert final (server-side timestamps), and whether all of them are final;
- idle memory (RSS of server + agent, summed) and cold start (process spawned -> public ``/healthz`` answers;
  for tvbridge also -> the agent's first account snapshot), on a fresh data folder and on a restart.

Results go to stdout as Markdown (for docs/benchmarks.md) and, with ``--json``, as raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from load import LoadResult, alert_body, burst, have_wrk, run_wrk
from procs import ServerProcess, ceiling_process, free_port, tvbridge_process

_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """One line on stderr with the seconds since the driver started (the full run takes minutes)."""
    print(f"[{time.perf_counter() - _STARTED:6.1f} s] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def iso(text: str) -> datetime:
    """An ISO timestamp from the admin API."""
    return datetime.fromisoformat(text)


#: The largest rate limits a strategy accepts (server/schemas/bounds.py): a benchmark measures intake, not the limit.
NO_RATE_LIMIT = {"rate_limit_per_second": 10_000, "rate_limit_per_minute": 600_000}


class Admin:
    """The admin API of a running tvbridge, as far as the benchmark needs it."""

    def __init__(self, data_dir: Path, admin_port: int) -> None:
        token = (data_dir / "admin-token").read_text().strip()
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{admin_port}", timeout=90.0,
                                 headers={"Authorization": f"Bearer {token}"})

    def wait_agent(self, started: float, timeout: float = 60.0) -> float:
        """Seconds from ``started`` (perf_counter) until the agent's first account snapshot is visible."""
        while not self.http.get("/api/v1/account").json():
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the agent did not connect")
            time.sleep(0.01)
        return time.perf_counter() - started

    def create_strategy(self, name: str) -> dict[str, Any]:
        """A strategy at its defaults (no daily trade cap, no open-position cap, 300 s max signal age), except its
        rate limits, set to their maxima: a benchmark floods one strategy as no real one does (server/ratelimits.py)."""
        resp = self.http.post("/api/v1/strategies", json={"name": name, **NO_RATE_LIMIT})
        resp.raise_for_status()
        return dict(resp.json())

    def _page(self, strategy_id: int, retry_for: float = 120.0, **params: Any) -> list[dict[str, Any]]:
        """One page of the signal log. Retried on 5xx and transport errors for ``retry_for`` seconds: while
        intake is stalled the admin API's reads time out on the same connection pool (issue 8)."""
        deadline = time.monotonic() + retry_for
        while True:
            try:
                resp = self.http.get("/api/v1/signals", params={"strategy_id": strategy_id, **params})
                if resp.status_code < 500:
                    resp.raise_for_status()
                    return list(resp.json())
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the admin API did not answer the signal log")
            time.sleep(0.5)

    def settle(self, strategy_id: int, timeout: float, interval: float = 0.3) -> bool:
        """Wait until the strategy has no pending signal and no new one appeared for ``interval`` seconds
        (requests still in the server when a load run ends land too). False on time-out."""
        deadline = time.monotonic() + timeout
        last_top: int | None = -1
        while time.monotonic() < deadline:
            pending = self._page(strategy_id, status="pending", limit=1)
            newest = self._page(strategy_id, limit=1)
            top = newest[0]["id"] if newest else None
            if not pending and top == last_top:
                return True
            last_top = top if not pending else -1
            time.sleep(interval)
        return False

    def signals_from(self, strategy_id: int, first_id: int) -> dict[int, dict[str, Any]]:
        """The strategy's signals with ``id >= first_id``, by id."""
        found: dict[int, dict[str, Any]] = {}
        offset = 0
        while True:
            page = self._page(strategy_id, limit=500, offset=offset)
            found.update({s["id"]: s for s in page if s["id"] >= first_id})
            if not page or page[-1]["id"] < first_id:
                return found
            offset += len(page)

    def newest_id(self, strategy_id: int) -> int:
        """The strategy's newest signal id (0 when it has none)."""
        page = self._page(strategy_id, limit=1)
        return int(page[0]["id"]) if page else 0


def outcome(admin: Admin, strategy_id: int, first_id: int, acked: list[int], settled: bool) -> dict[str, Any]:
    """What became of the acknowledged alerts: counts by final status, how many are missing or still pending,
    and how many stored signals were never acknowledged (in flight when a run ended, or answered non-200)."""
    signals = admin.signals_from(strategy_id, first_id)
    statuses = Counter(signals[i]["status"] if i in signals else "missing" for i in acked)
    return {
        "settled": settled,
        "acked": len(acked),
        "by_status": dict(statuses),
        "all_final": settled and statuses.get("missing", 0) == 0 and statuses.get("pending", 0) == 0,
        "stored_not_acked": len(set(signals) - set(acked)),
        "signals": signals,
    }


def ceiling_phase(args: argparse.Namespace, work: Path, label: str) -> dict[str, Any]:
    """Start the ceiling, measure cold start and idle RSS, run both loads, check storage, stop it."""
    port = free_port()
    db = work / f"ceiling-{label}.db"
    proc = ceiling_process(db, port, core=args.server_core, log=work / f"ceiling-{label}.log")
    progress(f"ceiling ({label}): starting")
    result: dict[str, Any] = {"cold_start_s": proc.start()}
    try:
        time.sleep(args.idle_settle)
        result["idle_rss_mib"] = proc.rss_mib()
        url = f"http://127.0.0.1:{port}/api/v1/webhooks/tv/ceiling"
        if not args.quick:
            run_wrk(url, senders=1, seconds=1, tag=f"{args.tag}-c{label}-warm", out_dir=work, core=args.load_core)
        for senders in (1, args.senders):
            progress(f"ceiling ({label}): wrk, {senders} sender(s)")
            load = run_wrk(url, senders=senders, seconds=args.seconds, tag=f"{args.tag}-c{label}-{senders}",
                           out_dir=work, core=args.load_core)
            result[f"load_{senders}"] = load
    finally:
        proc.stop()
    with sqlite3.connect(db) as conn:
        stored = {row[0] for row in conn.execute("SELECT id FROM signals")}
    for senders in (1, args.senders):
        load = result[f"load_{senders}"]
        result[f"stored_{senders}"] = sum(1 for i in load.ids if i in stored)
    return result


def paced(admin: Admin, public_url: str, strategy: dict[str, Any], count: int, pace_ms: float,
          tag: str) -> dict[str, Any]:
    """Post ``count`` alerts one every ``pace_ms`` (no queue builds up) and read their timings."""
    path = httpx.URL(strategy["webhook_url"]).path
    answers: list[float] = []
    ids: list[int] = []
    with httpx.Client(base_url=public_url, timeout=60.0) as client:
        for n in range(1, count + 1):
            due = time.perf_counter() + pace_ms / 1000
            started = time.perf_counter()
            resp = client.post(path, content=alert_body(tag, n), headers={"Content-Type": "text/plain"})
            answers.append((time.perf_counter() - started) * 1000)
            if resp.status_code == 200:
                ids.append(int(resp.json()["signal_id"]))
            time.sleep(max(0.0, due - time.perf_counter()))
    settled = admin.settle(strategy["strategy_id"], timeout=120)
    result = outcome(admin, strategy["strategy_id"], min(ids, default=0), ids, settled)
    timings = [s["timings"] for i, s in result.pop("signals").items() if i in set(ids)]
    result["answer_ms"] = answers
    result["send_ms"] = [t["send_ms"] for t in timings if t["send_ms"] is not None]
    result["fill_ms"] = [t["fill_ms"] for t in timings if t["fill_ms"] is not None]
    return result


def tvbridge_loads(args: argparse.Namespace, work: Path, admin: Admin, public_url: str) -> dict[str, Any]:
    """The measured runs against a started, idle tvbridge."""
    strategy = admin.create_strategy("intake bench")
    sid = strategy["strategy_id"]
    url = public_url + httpx.URL(strategy["webhook_url"]).path
    result: dict[str, Any] = {}
    paced(admin, public_url, strategy, args.warm_up, args.pace_ms, f"{args.tag}-warm")  # imports, pools, symbols
    progress(f"tvbridge: {args.paced} paced alerts")
    result["paced"] = paced(admin, public_url, strategy, args.paced, args.pace_ms, f"{args.tag}-paced")
    for senders in (1, args.senders):
        progress(f"tvbridge: wrk, {senders} sender(s)")
        first = admin.newest_id(sid) + 1
        load = run_wrk(url, senders=senders, seconds=args.seconds, tag=f"{args.tag}-t-{senders}", out_dir=work,
                       core=args.load_core)
        drain_started = time.perf_counter()
        progress("tvbridge: waiting until every alert is final")
        settled = admin.settle(sid, timeout=args.drain_timeout)
        after = outcome(admin, sid, first, load.ids, settled)
        after.pop("signals")
        after["drain_after_run_s"] = time.perf_counter() - drain_started
        result[f"load_{senders}"] = load
        result[f"outcome_{senders}"] = after
    first = admin.newest_id(sid) + 1
    progress(f"tvbridge: burst of {args.burst}")
    shot = burst(url, count=args.burst, senders=args.senders, tag=f"{args.tag}-burst")
    settled = admin.settle(sid, timeout=args.drain_timeout, interval=0.1)
    after = outcome(admin, sid, first, shot.ids, settled)
    signals = after.pop("signals")  # every alert of the burst that was stored, answered in time or not
    after["stored"] = len(signals)
    after["stored_all_final"] = settled and all(s["resolved_at"] for s in signals.values())
    if signals and after["stored_all_final"]:
        after["drain_s"] = (max(iso(s["resolved_at"]) for s in signals.values())
                            - min(iso(s["timings"]["received_at"]) for s in signals.values())).total_seconds()
    result["burst"] = shot
    result["burst_outcome"] = after
    return result


def server_log_counts(data_dir: Path) -> dict[str, int]:
    """From tvbridge's own log: webhooks answered 500 (also those whose sender had given up), pool time-outs and
    agent restarts over the whole run."""
    text = "".join(p.read_text(errors="replace") for p in sorted((data_dir / "logs").glob("tvbridge.log*")))
    return {
        "webhook_500": sum(1 for line in text.splitlines()
                           if '"POST /api/v1/webhooks/tv/' in line and line.endswith('" 500')),
        "pool_timeouts": text.count("QueuePool limit of size"),
        "agent_restarts": text.count("agent process exited"),
    }


def tvbridge_phase(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Cold start on a fresh data folder, restart, idle RSS, then the loads."""
    data_dir = work / "tvbridge-data"
    public_port, admin_port = free_port(), free_port()
    result: dict[str, Any] = {}

    def start(label: str) -> tuple[ServerProcess, Admin]:
        proc = tvbridge_process(data_dir, public_port, admin_port, core=args.server_core,
                                log=work / "tvbridge-stdio.log")
        progress(f"tvbridge: starting ({label})")
        spawned = time.perf_counter()
        result[f"cold_start_{label}_s"] = proc.start()
        admin = Admin(data_dir, admin_port)
        result[f"agent_ready_{label}_s"] = admin.wait_agent(spawned)
        progress(f"tvbridge: ready in {result[f'cold_start_{label}_s']:.2f} s, agent connected in "
                 f"{result[f'agent_ready_{label}_s']:.2f} s")
        return proc, admin

    proc, admin = start("fresh")
    if not args.quick:  # a trader's usual start is a restart on an existing data folder
        proc.stop()
        proc, admin = start("restart")
    try:
        time.sleep(args.idle_settle)
        result["idle_rss_mib"] = proc.rss_mib()
        result.update(tvbridge_loads(args, work, admin, f"http://127.0.0.1:{public_port}"))
        result["rss_after_load_mib"] = proc.rss_mib()
        progress("tvbridge: stopping")
    finally:
        proc.stop()
    result["server_log"] = server_log_counts(data_dir)
    return result


# --- report -------------------------------------------------------------------------------------------------


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def _ratio(value: float, base: float, *, as_percent: bool) -> str:
    if not base or base != base or value != value:
        return "—"
    return f"{100 * value / base:.1f} %" if as_percent else f"{value / base:.1f} ×"


def load_rows(senders: int, ceilings: list[LoadResult], tv: LoadResult) -> list[str]:
    """Throughput, answer p50/p99/max and non-200 rows for one sender count."""
    rows = []
    for name, attr, unit, as_percent in (
        ("acknowledged alerts/s", "throughput", "", True),
        ("answer p50", "p50_ms", " ms", False),
        ("answer p99", "p99_ms", " ms", False),
        ("answer max", "max_ms", " ms", False),
    ):
        cvals = [getattr(c, attr) for c in ceilings]
        base = _mean(cvals)
        shown = " / ".join(f"{v:,.1f}{unit}" if unit else f"{v:,.0f}" for v in cvals)
        mine = f"{getattr(tv, attr):,.1f}{unit}" if unit else f"{getattr(tv, attr):,.0f}"
        rows.append(f"| {senders} sender{'s' if senders > 1 else ''}: {name} | {shown} | {mine} | "
                    f"{_ratio(getattr(tv, attr), base, as_percent=as_percent)} |")
    shown = " / ".join(f"{c.non_200} of {c.requests + c.socket_errors}" for c in ceilings)
    parts = [f"{n} × {code}" for code, n in sorted(tv.statuses.items()) if code != "200"]
    parts += [f"{tv.socket_errors} unanswered"] if tv.socket_errors else []
    extra = f" ({', '.join(parts)})" if parts else ""
    rows.append(f"| {senders} sender{'s' if senders > 1 else ''}: non-200 answers | {shown} | "
                f"{tv.non_200} of {tv.requests + tv.socket_errors}{extra} | — |")
    return rows


def _final_text(o: dict[str, Any]) -> str:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(o["by_status"].items()))
    verdict = "yes" if o["all_final"] else "**NO**"
    late = f"; {o['stored_not_acked']} more stored without a 200 read in time" if o["stored_not_acked"] else ""
    return f"{verdict}: {o['acked']} acknowledged → {statuses or 'none'}{late}"


def _answers_text(load: LoadResult) -> str:
    parts = [f"{n} × {code}" for code, n in sorted(load.statuses.items())]
    parts += [f"{load.socket_errors} × no answer within 3 s"] if load.socket_errors else []
    return ", ".join(parts)


def report(args: argparse.Namespace, ceilings: list[dict[str, Any]], tv: dict[str, Any]) -> str:
    """The Markdown table of the run."""
    lines = [
        f"| figure | ceiling ({' / '.join(['before', 'after'][:len(ceilings)])}) | tvbridge | "
        "tvbridge vs ceiling |",
        "|---|---|---|---|",
    ]
    for senders in (1, args.senders):
        lines += load_rows(senders, [c[f"load_{senders}"] for c in ceilings], tv[f"load_{senders}"])
        o = tv[f"outcome_{senders}"]
        lines.append(f"| {senders} sender{'s' if senders > 1 else ''}: every acknowledged alert final | — | "
                     f"{_final_text(o)} (drained {o['drain_after_run_s']:.1f} s after the run) | — |")
    p = tv["paced"]
    lines.append(f"| alert received → `order_send` called, p50 / p99 ({len(p['send_ms'])} alerts, one every "
                 f"{args.pace_ms:.0f} ms) | — | {pct(p['send_ms'], 50):.1f} / {pct(p['send_ms'], 99):.1f} ms | — |")
    lines.append(f"| alert received → filled, p50 / p99 (same alerts) | — | {pct(p['fill_ms'], 50):.1f} / "
                 f"{pct(p['fill_ms'], 99):.1f} ms | — |")
    lines.append(f"| answer p50 / p99 (same alerts, one keep-alive connection) | — | {pct(p['answer_ms'], 50):.1f} / "
                 f"{pct(p['answer_ms'], 99):.1f} ms | — |")
    b, bo = tv["burst"], tv["burst_outcome"]
    drain = f"{bo['drain_s']:.2f} s" if "drain_s" in bo else "**not all final**"
    lines.append(f"| burst of {args.burst} from {args.senders} senders: first received → last final | — | {drain} "
                 f"(answers: {_answers_text(b)}; p50 {b.p50_ms:.0f} ms, p99 {b.p99_ms:.0f} ms; {_final_text(bo)}) "
                 "| — |")
    rss = " / ".join(f"{c['idle_rss_mib']:.0f}" for c in ceilings)
    lines.append(f"| idle RSS, MiB (tvbridge: server + agent) | {rss} "
                 f"| {tv['idle_rss_mib']:.0f} (after the loads: {tv['rss_after_load_mib']:.0f}) | — |")
    cold = " / ".join(f"{c['cold_start_s']:.2f} s" for c in ceilings)
    lines.append(f"| cold start → ready to take alerts, fresh data folder | {cold} | {tv['cold_start_fresh_s']:.2f} s "
                 f"(agent connected {tv['agent_ready_fresh_s']:.2f} s) | — |")
    if "cold_start_restart_s" in tv:
        lines.append(f"| cold start → ready to take alerts, restart | — | {tv['cold_start_restart_s']:.2f} s "
                     f"(agent connected {tv['agent_ready_restart_s']:.2f} s) | — |")
    log = tv["server_log"]
    lines.append(f"| tvbridge's log over the run: webhooks logged as answered 500 / connection-pool time-outs (30 s "
                 f"each; the request is answered 500 or its sender is gone) / agent restarts | — | "
                 f"{log['webhook_500']} / {log['pool_timeouts']} / {log['agent_restarts']} | — |")
    return "\n".join(lines)


def _jsonable(value: Any) -> Any:
    if isinstance(value, LoadResult):
        data = asdict(value)
        data.pop("ids")
        return {**data, "acked": value.acked, "non_200": value.non_200, "throughput": value.throughput}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; ``--quick`` shrinks every phase for a smoke run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--senders", type=int, default=50, help="concurrent senders of the loaded runs")
    parser.add_argument("--burst", type=int, default=500, help="alerts in the drain burst")
    parser.add_argument("--paced", type=int, default=100, help="alerts for the received -> order_send figure")
    parser.add_argument("--warm-up", type=int, default=10, help="paced alerts sent first and not counted")
    parser.add_argument("--pace-ms", type=float, default=50.0, help="gap between those alerts")
    parser.add_argument("--drain-timeout", type=float, default=360.0, help="seconds to wait for all final")
    parser.add_argument("--idle-settle", type=float, default=3.0, help="seconds idle before reading RSS")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--load-core", type=int, default=1)
    parser.add_argument("--no-pin", action="store_true", help="do not pin (machines with one core)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 s loads, 30-alert burst, one ceiling run, no restart")
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    parser.add_argument("--keep", type=Path, help="keep the work folder (databases, logs) here")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.burst, args.paced, args.warm_up, args.idle_settle = 1, 30, 5, 3, 0.3
    if args.no_pin or len(os.sched_getaffinity(0)) < 2:
        args.server_core = args.load_core = None
    args.tag = f"b{int(time.time())}"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run ceiling, tvbridge, ceiling; print the table; exit 0 when every acknowledged alert reached a final
    status (1 otherwise, 2 when wrk is missing)."""
    args = parse_args(argv)
    if not have_wrk():
        print("wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    if args.load_core is not None:
        os.sched_setaffinity(0, {args.load_core})
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="tvb-intake-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        ceilings = [ceiling_phase(args, work, "before")]
        tv = tvbridge_phase(args, work)
        if not args.quick:
            ceilings.append(ceiling_phase(args, work, "after"))
    print(f"loads: {args.seconds:g} s per wrk run; server on core {args.server_core}, load on core {args.load_core}; "
          f"machine load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after\n")
    print(report(args, ceilings, tv))
    if args.json:
        args.json.write_text(json.dumps(_jsonable({"args": {k: str(v) for k, v in vars(args).items()},
                                                   "ceilings": ceilings, "tvbridge": tv}), indent=1))
    outcomes = [tv["paced"], tv["outcome_1"], tv[f"outcome_{args.senders}"], tv["burst_outcome"]]
    return 0 if all(o["all_final"] for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
