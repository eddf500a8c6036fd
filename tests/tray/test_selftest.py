"""``tvbridge self-test``: in-process, and as a user (or the uninstaller, or a windowed exe) runs it: a real
process with its standard output and error closed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tray.selftest import check_bundle, module_present, run_selftest

ROOT = Path(__file__).resolve().parents[2]


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_") and k != "NGROK_AUTHTOKEN"}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")  # where platformdirs puts the log folder (stdio.log)
    env["TMPDIR"] = str(tmp_path / "tmp")
    (tmp_path / "tmp").mkdir()
    return env


def test_self_test_trades_one_alert_on_the_simulator_and_cleans_up(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    result = run_selftest(timeout=30)
    assert result.ok, result.problems
    assert result.status == "executed" and result.details["fill_price"] > 0
    assert [s.split(":")[0] for s in result.steps] == ["bundle checked", "runtime started", "alert posted over HTTP",
                                                        "signal #1 executed", "runtime stopped"]
    assert list(tmp_path.iterdir()) == []  # the temporary data folder is gone


def test_self_test_fails_honestly_when_nothing_is_executed() -> None:
    result = run_selftest(timeout=0.0)  # no time to wait for the agent
    assert not result.ok
    assert any("not resolved" in p for p in result.problems)


def test_bundle_check_looks_for_modules_without_importing_them() -> None:
    assert check_bundle(platform="linux") == []
    assert module_present("pystray._xorg")  # importing it would need an X display
    assert "pystray" not in sys.modules or os.environ.get("PYSTRAY_BACKEND")  # and it was not imported
    assert not module_present("pystray._nonexistent") and not module_present("no_such_package.sub")


@pytest.mark.skipif(sys.platform == "win32", reason="closing fds 1 and 2 through a POSIX shell")
def test_self_test_with_stdout_and_stderr_closed(tmp_path: Path) -> None:
    """What a windowed build sees: no stdout/stderr. The stream shim must catch it before anything prints."""
    report = tmp_path / "report.json"
    cmd = f'exec "{sys.executable}" -m tray self-test --report "{report}" 1>&- 2>&-'
    proc = subprocess.run(["/bin/sh", "-c", cmd], env=clean_env(tmp_path), cwd=ROOT, timeout=90)
    assert proc.returncode == 0
    result = json.loads(report.read_text())
    assert result["ok"] and result["status"] == "executed"
    assert result["streams_shimmed"] is True
    stdio = tmp_path / "state" / "tvbridge" / "log" / "stdio.log"
    assert "self-test passed" in stdio.read_text()  # what would have gone to the console
    assert list((tmp_path / "tmp").iterdir()) == []
