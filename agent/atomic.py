"""Crash-safe files for the agent's state (simulator book, stop rules, the crash journal).

A file is replaced, never rewritten in place: the new content goes to a temporary file in the same folder,
is flushed to disk (``fsync``), then renamed over the old one (``os.replace``, atomic on POSIX and Windows), and
on POSIX the folder entry is flushed too. A process killed at any instant leaves either the old file or the new
one, never a truncated mix. A file that cannot be read anyway (a disk fault, a hand edit) is set aside under a
new name with a sentence in the log, so the agent starts fresh instead of failing at every start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

logger = logging.getLogger(__name__)

#: Temporary files are named ``<file name>.<random>.tmp`` next to their target.
TMP_SUFFIX = ".tmp"


def write_atomic(path: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) so that a crash leaves the old or the new file.

    :param durable: also flush to disk (``fsync``), so the new file survives a power cut, not only a killed
        process; without it the write costs no disk round trip.
    :raises OSError: the folder cannot be written (the old file, if any, is untouched).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename) to disk; a no-op where folders cannot be opened (Windows)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(path: Path) -> None:
    """Delete temporary files of ``path`` that a process killed mid-write left behind."""
    for leftover in path.parent.glob(f"{path.name}.*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def set_aside(path: Path, why: str) -> Path:
    """Rename a damaged ``path`` to ``<name>.damaged-<UTC time>`` and log a sentence saying so; returns the new path.

    :param why: what is wrong with it, e.g. ``"it is not valid JSON (line 3)"``.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, target)
    logger.error(
        "%s could not be read (%s). It was set aside as %s and a fresh one is started; keep that file if you "
        "need what it held.",
        path,
        why,
        target.name,
    )
    return target
