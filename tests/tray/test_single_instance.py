"""One tvbridge per data folder: the real lock (fcntl here, the named mutex on Windows), across real
processes, a crash that must not leave a stale lock, and ``tvbridge run`` / ``tvbridge quit`` as a user
runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tray.menu import RUN_KEY, RUN_VALUE
from tray.paths import resolve_paths
from tray.single_instance import MUTEX_NAME, QUIT_FILE, QuitWatcher, SingleInstance, is_running, lock_name

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TVBRIDGE_") and k != "NGROK_AUTHTOKEN"}


def test_second_lock_in_the_same_data_folder_is_refused_until_released(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data")
    first = SingleInstance(paths)
    assert first.held and not first.already_running
    second = SingleInstance(paths)
    assert second.already_running and not second.held
    other = SingleInstance(resolve_paths(tmp_path / "other"))  # another data folder: independent
    assert other.held
    first.write_info(admin_url="http://127.0.0.1:1")
    assert json.loads((paths.data_dir / "instance.json").read_text())["pid"] == os.getpid()
    first.release()
    first.release()  # idempotent
    assert not (paths.data_dir / "instance.json").exists()
    third = SingleInstance(paths)
    assert third.held
    third.release()
    other.release()


def test_lock_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert lock_name(resolve_paths(None)) == MUTEX_NAME  # the installed app: the installer's AppMutex
    custom = lock_name(resolve_paths(tmp_path / "custom"))
    assert custom.startswith(MUTEX_NAME + "-") and custom != MUTEX_NAME


def test_installer_uses_the_same_mutex_and_run_value_as_the_app() -> None:
    iss = (ROOT / "installer" / "tvbridge.iss").read_text()
    defines = dict(re.findall(r'#define (\w+) "([^"]*)"', iss))
    assert defines["AppMutexName"] == MUTEX_NAME
    assert "AppMutex={#AppMutexName}" in iss
    assert (defines["RunKey"], defines["RunValue"]) == (RUN_KEY, RUN_VALUE)
    assert "PrivilegesRequired=lowest" in iss and "{autopf}" in iss
    code = "\n".join(line for line in iss.lower().splitlines() if not line.lstrip().startswith((";", "{", "//")))
    assert "taskkill" not in code  # never kill by image name (that would hit the user's own ngrok.exe)
    assert "'quit --wait '" in code  # the uninstaller asks the app to stop in order


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_crashed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from tray.paths import resolve_paths; from tray.single_instance import SingleInstance;"
         f"lock = SingleInstance(resolve_paths(__import__('pathlib').Path({str(data)!r})));"
         "print('held' if lock.held else 'refused', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        paths = resolve_paths(data)
        assert is_running(paths)
        assert SingleInstance(paths).already_running
    finally:
        holder.kill()  # a crash: no release(), no atexit
        holder.wait()
    assert not is_running(paths)


def test_quit_watcher_ignores_a_stale_request_and_fires_once_on_a_new_one(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data").ensure()
    stale = paths.data_dir / QUIT_FILE
    stale.write_text("left over from a crash")
    os.utime(stale, (time.time() - 60, time.time() - 60))
    fired = threading.Event()
    watcher = QuitWatcher(paths, fired.set, interval=0.05, since=time.time()).start()
    assert not fired.wait(0.3)
    (paths.data_dir / QUIT_FILE).write_text("now")
    assert fired.wait(5)
    assert not (paths.data_dir / QUIT_FILE).exists()
    watcher.stop()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX process handling")
def test_second_run_is_refused_and_quit_stops_the_first(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run = [sys.executable, "-m", "tray", "run", "--data-dir", str(data), "--public-port", "0", "--admin-port", "0",
           "--no-agent"]
    log = (tmp_path / "first.txt").open("w")
    first = subprocess.Popen(run, stdout=log, stderr=subprocess.STDOUT, env=clean_env(), cwd=ROOT)
    try:
        runtime_file = data / "runtime.json"
        wait_until(runtime_file.exists)
        before = runtime_file.read_text()

        second = subprocess.run(run, capture_output=True, text=True, env=clean_env(), cwd=ROOT, timeout=30)
        assert second.returncode == 1
        assert "tvbridge is already running" in second.stderr and "Nothing was started" in second.stderr
        assert runtime_file.read_text() == before  # the first instance is untouched

        quit_ = subprocess.run([sys.executable, "-m", "tray", "quit", "--data-dir", str(data), "--wait", "20"],
                               capture_output=True, text=True, env=clean_env(), cwd=ROOT, timeout=30)
        assert quit_.returncode == 0, quit_.stderr
        assert "tvbridge stopped." in quit_.stdout
        assert first.wait(10) == 0
    finally:
        if first.poll() is None:
            first.kill()
        log.close()
    assert not (data / "runtime.json").exists() and not is_running(resolve_paths(data))
    assert "stopped." in (tmp_path / "first.txt").read_text()


def test_a_quit_sent_while_the_instance_is_still_starting_is_honoured(tmp_path: Path) -> None:
    paths = resolve_paths(tmp_path / "data")
    lock = SingleInstance(paths)
    try:
        (paths.data_dir / QUIT_FILE).write_text("sent during start-up")  # after the lock was taken
        fired = threading.Event()
        watcher = QuitWatcher(paths, fired.set, interval=0.05, since=lock.acquired_at).start()
        assert fired.wait(5)
        watcher.stop()
    finally:
        lock.release()
