"""Smoke run of the intake benchmark (``bench/bench_intake.py --quick``): the ceiling, the wrk script and the
driver still work against the real ``tvbridge run`` and its admin API, and every alert they got acknowledged
reached a final status. Timings are printed for the curious and never asserted.

8 senders, not 50: at 50 the current intake can stall for its 30 s pool time-out (issue 8), which the full
benchmark records but a smoke test must not wait for.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install -y wrk)"),
]


def test_quick_intake_benchmark_runs_and_every_acknowledged_alert_is_final(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [sys.executable, "bench/bench_intake.py", "--quick", "--senders", "8", "--json", str(out),
         "--keep", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    print(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())

    ceiling = result["ceilings"][0]
    for senders in (1, 8):
        load = ceiling[f"load_{senders}"]
        assert load["acked"] > 0 and load["non_200"] == 0
        assert ceiling[f"stored_{senders}"] == load["acked"]  # the ceiling stored everything it acknowledged

    tv = result["tvbridge"]
    for key in ("paced", "outcome_1", "outcome_8", "burst_outcome"):
        assert tv[key]["all_final"], (key, tv[key])
        assert tv[key]["by_status"] == {"executed": tv[key]["acked"]}, (key, tv[key])
    assert tv["paced"]["acked"] == 5
    assert tv["burst_outcome"]["acked"] == 30
    assert "drain_s" in tv["burst_outcome"]
    assert len(tv["paced"]["send_ms"]) == 5  # every paced alert reports when order_send was called
    assert "| 8 senders: acknowledged alerts/s |" in proc.stdout
