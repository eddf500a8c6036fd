"""Everything tvbridge keeps is readable by its user only (issue 9.12).

Before: ``tvbridge.db`` (webhook secrets), its WAL and the logs were 0644 in a 0755 folder. Now, on POSIX, every
folder tvbridge uses is 0700 and every file in it 0600, whoever creates it (the app, SQLite, the agent, the
simulator, log rotation), and files an older version left readable by others are tightened at start. Windows keeps
them in the user's profile, whose ACL already keeps other users out (docs/reliability.md).
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import App, wait_for
from tray.logs import PrivateRotatingFileHandler

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes; Windows relies on the profile's ACL")


def modes(root: Path) -> dict[str, str]:
    """``{relative path: octal mode}`` of ``root`` and everything under it."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="runs tvbridge as a process")
def test_every_file_of_a_real_run_is_private_to_the_user(tmp_path: Path) -> None:
    app = App(tmp_path)
    # What an older version left: a readable folder, database and rotated log.
    (app.data_dir / "logs").mkdir(parents=True)
    app.data_dir.chmod(0o755)
    (app.data_dir / "logs").chmod(0o755)
    (app.data_dir / "tvbridge.db").touch(mode=0o644)  # an empty file is an empty database to SQLite
    (app.data_dir / "logs" / "tvbridge.log.1").write_text("an old line\n")
    (app.data_dir / "logs" / "tvbridge.log.1").chmod(0o644)
    app.start()
    try:
        with app.admin() as admin:
            strategy = admin.post("/api/v1/strategies", json={"name": "modes"}).json()
            answer = httpx.post(strategy["webhook_url"], content='{"symbol":"EURUSD","action":"buy","sl_pips":20}')
            signal_id = answer.json()["signal_id"]
            wait_for(lambda: admin.get(f"/api/v1/signals/{signal_id}").json()["status"] == "executed")
        found = modes(app.data_dir)
    finally:
        app.stop()
    # the run made everything a trader's data folder holds: database with WAL, tokens, logs, agent and simulator state
    for expected in ("tvbridge.db", "tvbridge.db-wal", "tvbridge.db-shm", "admin-token", "agent-token",
                     "logs/tvbridge.log", "logs/agent-default.log", "agents/default", "simulator/default"):
        assert expected in found, f"{expected} missing from {sorted(found)}"
    folders = {p for p in found if (app.data_dir / p).is_dir()}
    assert {p: m for p, m in found.items() if p in folders and m != "0o700"} == {}
    assert {p: m for p, m in found.items() if p not in folders and m != "0o600"} == {}
    after_stop = modes(app.data_dir)  # files written while stopping too
    assert {p: m for p, m in after_stop.items() if int(m, 8) & 0o077} == {}


def test_rotated_logs_stay_private_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a process that never set one: files would be 0644
    try:
        handler = PrivateRotatingFileHandler(tmp_path / "t.log", maxBytes=200, backupCount=3, encoding="utf-8")
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "x" * 90, None, None)
        for _ in range(12):
            handler.emit(record)
        handler.close()
    finally:
        os.umask(previous)
    assert sorted(modes(tmp_path).items()) == [
        (".", oct(stat.S_IMODE(tmp_path.stat().st_mode))), ("t.log", "0o600"), ("t.log.1", "0o600"),
        ("t.log.2", "0o600"), ("t.log.3", "0o600"),
    ]
