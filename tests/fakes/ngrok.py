"""Helpers around the fake ngrok agent (``fake_ngrok.py``): an executable wrapper and process checks."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

FAKE_NGROK = Path(__file__).resolve().with_name("fake_ngrok.py")


def write_ngrok_wrapper(folder: Path) -> Path:
    """An executable ``ngrok`` in ``folder`` that runs the fake agent with this interpreter."""
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "ngrok"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} {shlex.quote(str(FAKE_NGROK))} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return wrapper


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie (Linux /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
