"""CPU time per acknowledged alert: ``tvbridge run`` pinned to one core, ``wrk`` on the other, ``/proc`` read before
and after. A shared machine makes throughput and latency noisy; CPU time per alert moves much less, so this is the
figure to compare two builds by (docs/benchmarks.md, "One writer with group commit").

    .venv/bin/python bench/intake_cpu.py [--seconds 5] [--senders 50] [--no-agent] [--runs 3]

Linux only (``taskset``, ``/proc``), like bench/bench_intake.py, whose wrk script it uses (distinct alerts).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from procs import ROOT, free_port, tree_pids

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def one_run(args: argparse.Namespace, work: Path) -> str:
    """Start tvbridge, wait until idle, run wrk, and describe the run in one line."""
    data = work / f"data-{time.monotonic_ns()}"
    public, admin = free_port(), free_port()
    command = ["taskset", "-c", str(args.server_core), sys.executable, "-m", "tray", "run", "--data-dir", str(data),
               "--public-port", str(public), "--admin-port", str(admin), "--broker", "sim"]
    proc = subprocess.Popen([*command, *(["--no-agent"] if args.no_agent else [])], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{public}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.01)
        token = (data / "admin-token").read_text().strip()
        strategies = httpx.get(f"http://127.0.0.1:{admin}/api/v1/strategies",
                               headers={"Authorization": f"Bearer {token}"}).json()
        url = strategies[0]["webhook_url"]
        # a benchmark floods one strategy as no real one does: its rate limits at their maxima (server/ratelimits.py)
        httpx.patch(f"http://127.0.0.1:{admin}/api/v1/strategies/{strategies[0]['strategy_id']}",
                    headers={"Authorization": f"Bearer {token}"},
                    json={"rate_limit_per_second": 10_000, "rate_limit_per_minute": 600_000}).raise_for_status()
        time.sleep(args.settle)
        pids = tree_pids(proc.pid)
        before = {pid: cpu_seconds(pid) for pid in pids}
        out = work / "wrk.json"
        env = dict(os.environ, WRK_TAG=f"cpu{time.time_ns()}", WRK_OUT=str(out))
        subprocess.run(["taskset", "-c", str(args.load_core), "wrk", "-t1", f"-c{args.senders}", f"-d{args.seconds}s",
                        "--timeout", "10s", "-s", str(ROOT / "bench" / "intake.lua"), url],
                       env=env, stdout=subprocess.DEVNULL, check=True)
        after = {pid: cpu_seconds(pid) for pid in pids}
        result = json.loads(out.read_text())
        n = max(1, result["requests"])
        server = (after[proc.pid] - before[proc.pid]) / n * 1e6
        agents = [(after[p] - before[p]) / n * 1e6 for p in pids if p != proc.pid]
        return (f"{args.senders} sender(s){' (no agent)' if args.no_agent else ''}: "
                f"{result['requests'] / result['duration_us'] * 1e6:,.0f} alerts/s, answer p50 "
                f"{result['p50_us'] / 1000:.1f} ms p99 {result['p99_us'] / 1000:.1f} ms, "
                f"statuses {result['statuses']}; "
                f"CPU per alert: server {server:.0f} µs" + "".join(f", agent {a:.0f} µs" for a in agents)
                + f" (load average {os.getloadavg()[0]:.1f})")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def main() -> int:
    """Run ``--runs`` times and print one line per run."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--senders", type=int, default=50)
    parser.add_argument("--no-agent", action="store_true", help="intake alone (no agent executing meanwhile)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds idle before the load")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--load-core", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install -y wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="tvb-cpu-") as tmp:
        for _ in range(args.runs):
            print(one_run(args, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
