"""Standard streams for a process that has none.

A windowed (``console=False``) PyInstaller build starts with ``sys.stdout``/``sys.stderr`` set to None, as does
any Python started with descriptors 1 and 2 closed; uvicorn's default logging then crashes on ``isatty()``
(PyInstaller issue 7339, desktop-shell reference §3.2), and so would any ``print``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: True once :func:`ensure_std_streams` found the streams missing and installed the file shim.
shimmed = False


def ensure_std_streams() -> bool:
    """Give a process without stdout/stderr (windowed build, or fds 1/2 closed) a file to write to.

    The file is ``stdio.log`` in the default log folder (``os.devnull`` if that fails). On POSIX the closed
    descriptors 1 and 2 are re-pointed at it too, so a later ``open()`` (the SQLite database!) can never get
    descriptor 2 and receive stray writes meant for stderr. Returns True when a shim was installed.
    """
    global shimmed
    if sys.stdout is not None and sys.stderr is not None:
        return False
    try:
        import platformdirs

        log_dir = Path(platformdirs.user_log_dir("tvbridge", appauthor=False))
        log_dir.mkdir(parents=True, exist_ok=True)
        stream = (log_dir / "stdio.log").open("a", buffering=1, encoding="utf-8", errors="replace")
    except OSError:
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    if os.name == "posix":
        for fd in (1, 2):
            try:
                os.fstat(fd)
            except OSError:
                os.dup2(stream.fileno(), fd)
    sys.stdout = sys.stdout or stream
    sys.stderr = sys.stderr or stream
    shimmed = True
    return True
