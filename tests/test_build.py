"""The frozen build: build.spec built with PyInstaller (once per module), then the frozen binary run the way a
windowed Windows exe runs, i.e. with no stdout and no stderr, through a full self-test: runtime, both
listeners, migrations read from the bundle, the agent child started as ``<exe> agent ...``, one alert over
HTTP executed on the simulator.

On Linux this proves the bundle (hidden imports, data files, the migrations path) and the windowed-stream
fix; it cannot prove the win32-only parts (pystray's win32 backend at run time, the Credential Manager, the
version resource, the icon, the installer): .github/workflows/windows-build.yml does that on Windows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXE_NAME = "tvbridge.exe" if sys.platform == "win32" else "tvbridge"

pytestmark = pytest.mark.slow


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TVBRIDGE_", "PYSTRAY_")) and k not in ("NGROK_AUTHTOKEN", "PYTHONPATH")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env["XDG_DATA_HOME"] = str(tmp_path / "data-home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config-home")
    return env


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build build.spec into a temporary folder; yields the frozen executable."""
    out = tmp_path_factory.mktemp("pyinstaller")
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(out / "dist"),
         "--workpath", str(out / "work"), str(ROOT / "build.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-4000:]
    sys.stderr.write(f"\n[test_build] PyInstaller build took {elapsed:.1f} s\n")
    exe = out / "dist" / "tvbridge" / EXE_NAME
    assert exe.is_file()
    yield exe


def test_bundle_carries_the_migrations_where_server_db_looks(frozen: Path) -> None:
    internal = frozen.parent / "_internal"
    migrations = internal / "server" / "migrations"
    assert (migrations / "env.py").is_file() and (migrations / "script.py.mako").is_file()
    assert sorted(p.name for p in (migrations / "versions").glob("*.py")) == sorted(
        p.name for p in (ROOT / "server" / "migrations" / "versions").glob("*.py"))
    static = internal / "server" / "static"
    for shipped in ("index.html", "docs.html", "app/main.js", "app/pages/home.js",
                    "vendor/preact-htm/standalone.module.js", "vendor/uplot/uPlot.esm.js",
                    "vendor/swagger-ui/swagger-ui-bundle.js"):
        assert (static / shipped).is_file(), shipped


@pytest.mark.skipif(sys.platform == "win32", reason="closing fds 1 and 2 through a POSIX shell")
def test_frozen_self_test_with_stdout_and_stderr_closed(frozen: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    started = time.monotonic()
    proc = subprocess.run(["/bin/sh", "-c", f'exec "{frozen}" self-test --report "{report}" 1>&- 2>&-'],
                          env=clean_env(tmp_path), cwd=tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    sys.stderr.write(f"\n[test_build] frozen self-test (fds 1/2 closed) took {elapsed:.2f} s\n")
    assert proc.returncode == 0, report.read_text() if report.exists() else "no report"
    result = json.loads(report.read_text())
    assert result["ok"] and result["status"] == "executed", result
    assert result["frozen"] is True and result["streams_shimmed"] is True
    assert result["problems"] == []  # nothing missing from the bundle either
    assert "self-test passed" in (tmp_path / "state" / "tvbridge" / "log" / "stdio.log").read_text()


def test_frozen_cli_commands(frozen: Path, tmp_path: Path) -> None:
    version = subprocess.run([str(frozen), "--version"], capture_output=True, text=True, timeout=60,
                             env=clean_env(tmp_path))
    assert version.returncode == 0 and version.stdout.strip().startswith("tvbridge 0.")
    doctor = subprocess.run([str(frozen), "doctor", "--data-dir", str(tmp_path / "data")], capture_output=True,
                            text=True, timeout=60, env=clean_env(tmp_path))
    assert doctor.returncode == 1  # no ngrok authtoken on this machine
    assert "[FAIL] ngrok authtoken" in doctor.stdout and "[ ok ] Data folder" in doctor.stdout


def test_frozen_bundle_knows_the_notification_services(frozen: Path, tmp_path: Path) -> None:
    # apprise lists its plugins folder at run time: a URL it knows passes the check and only the (absent) keyring
    # refuses to save it; with the folder missing from the bundle the URL itself would be refused
    env = dict(clean_env(tmp_path), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    done = subprocess.run([str(frozen), "secret", "set", "notify-urls", "--stdin"], input="json://127.0.0.1:9/\n",
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 1 and "no password store" in done.stderr, done.stderr
