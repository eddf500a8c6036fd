"""Logging: one rotating file per process in the log folder, webhook secrets and tokens redacted from every
line (uvicorn's access log included), and no console handler when there is no console (windowed builds
start with ``sys.stderr`` set to None).

A flood cannot rotate the logs away (issue 9.11): lines of one kind (same logger, level and message template)
beyond :data:`LINES_PER_KIND` a minute are counted instead of written, and the count is written as one line
(:class:`RateLimitFilter`). Log files are readable by this user only (0600 on POSIX, rotated ones included).
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

_SECRETS = (
    (re.compile(r"(/webhooks/tv/)[^\s/?\"']+"), r"\1***"),
    (re.compile(r"(?i)(bearer\s+)[\w\-.~+/=]+"), r"\1***"),
    # ``token=`` (``authtoken=`` too) and dashboard sign-in ``code=`` values, also URL-encoded (``token%3D``);
    # ``retcode=`` stays readable.
    (re.compile(r"(?i)((?:token|(?<![a-z])code)(?:=|%3D))[^\s&\"']+"), r"\1***"),
)


def redact(text: str) -> str:
    """``text`` with webhook secrets (the URL's last segment), bearer tokens, ``token=`` values and sign-in
    ``code=`` values masked."""
    for pattern, repl in _SECRETS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once and stores it redacted (so args cannot reintroduce a secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


#: Lines of one kind written per :data:`WINDOW_SECONDS` at most (a bar close on 40 symbols still logs every
#: webhook); the rest are counted and summed up in one line.
LINES_PER_KIND = 60
WINDOW_SECONDS = 60.0
#: Kinds tracked at once; beyond this (a logger whose message templates vary without end) they share one window.
MAX_KINDS = 2_000
#: The logger of the summary lines.
SUMMARY_LOGGER = "tray.logs"

_DIGITS = re.compile(r"\d+")


@dataclass
class _Window:
    started: float  # clock seconds
    started_at: float  # wall time (record.created) of its first line, for the summary
    level: int
    sample: str  # what the kind's lines say (their template), for the summary
    written: int = 0
    suppressed: int = 0


class RateLimitFilter(logging.Filter):
    """Write at most ``per_window`` lines of one kind per ``window`` seconds; count the others and write the count
    as one line once the window is over (at the next line logged, or when logging is torn down):
    ``523 similar lines suppressed from 06:04:07 to 06:05:07: uvicorn.error ERROR "Exception in ASGI application"``.

    A kind is a logger name, a level and a message template (digits ignored), so an attacker's requests all count as
    one kind whatever their content; uvicorn's access lines are told apart by method, path and status (errors by
    status alone), so a flood of 404s or the agent's polls never hold back the webhook's own lines.

    One instance is shared by all handlers of :func:`setup_logging`: the decision is taken once per record (the first
    handler's) and reused by the others.

    Written here rather than with the ``limits`` library: its in-memory storage starts a timer thread every 10 ms
    while it holds counts, too much for a filter on the webhook path. ``clock`` (seconds) is injectable for tests.
    """

    def __init__(
        self,
        per_window: int = LINES_PER_KIND,
        window: float = WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.per_window = per_window
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, int, str], _Window] = {}
        self._next_sweep = 0.0

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, "_tvb_rate_ok", None)
        if decided is not None:
            return bool(decided)
        if getattr(record, "_tvb_summary", False):
            record._tvb_rate_ok = True
            return True
        now = self._clock()
        with self._lock:
            ended = self._sweep(now, force=False)
            kind, sample = self._kind(record)
            window = self._windows.get(kind)
            if window is None or now - window.started >= self.window:
                if window is not None and window.suppressed:
                    ended.append((kind, window, window.started_at + self.window))
                window = _Window(now, record.created, record.levelno, sample.split("\n", 1)[0][:120])
                self._windows[kind] = window
            allowed = window.written < self.per_window
            if allowed:
                window.written += 1
            else:
                window.suppressed += 1
        self._summarise(ended)
        record._tvb_rate_ok = allowed
        return allowed

    def flush(self) -> None:
        """Write the count of every kind with suppressed lines now (its window ends early)."""
        with self._lock:
            ended = self._sweep(self._clock(), force=True)
        self._summarise(ended)

    def _kind(self, record: logging.LogRecord) -> tuple[tuple[str, int, str], str]:
        """The record's kind, and what its lines say for the summary."""
        sample = _access_kind(record) or str(record.msg)
        kind = (record.name, record.levelno, _DIGITS.sub("#", sample)[:200])
        if kind not in self._windows and len(self._windows) >= MAX_KINDS:
            return (record.name, record.levelno, "(many kinds)"), "(lines of many kinds)"
        return kind, sample

    def _sweep(self, now: float, *, force: bool) -> list[tuple[tuple[str, int, str], _Window, float]]:
        """Forget windows that are over (every second at most); return those that suppressed lines."""
        if not force and now < self._next_sweep:
            return []
        self._next_sweep = now + 1.0
        ended = []
        for kind, window in list(self._windows.items()):
            if force or now - window.started >= self.window:
                del self._windows[kind]
                if window.suppressed:
                    end = time.time() if force else window.started_at + self.window
                    ended.append((kind, window, end))
        return ended

    def _summarise(self, ended: list[tuple[tuple[str, int, str], _Window, float]]) -> None:
        out = logging.getLogger(SUMMARY_LOGGER)
        for (name, _level, _template), window, end in ended:
            span = f"{datetime.fromtimestamp(window.started_at):%H:%M:%S} to {datetime.fromtimestamp(end):%H:%M:%S}"
            out.log(
                window.level, '%d similar lines suppressed from %s: %s %s "%s"', window.suppressed, span, name,
                logging.getLevelName(window.level), window.sample, extra={"_tvb_summary": True},
            )


def _access_kind(record: logging.LogRecord) -> str | None:
    """uvicorn's access lines share one template: tell them apart by answer, so the webhook's lines are not crowded
    out by the agent's polls. Errors by status alone (the paths of a scan are endless), others by method and path
    (redacted, digits ignored, without the query)."""
    args = record.args
    if record.name != "uvicorn.access" or not isinstance(args, tuple) or len(args) != 5:
        return None
    _client, method, path, _version, status = args
    if isinstance(status, int) and status >= 400:
        return f"HTTP {status} answers"
    return f"{method} {redact(str(path).split('?', 1)[0])} {status}"


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log file readable by this user only: created (and, if an older version left it readable by
    others, changed) to 0600 on POSIX, whatever the process's umask; rotation renames files, keeping that mode.
    On Windows the log folder's inherited ACL (the user's profile) already keeps others out."""

    def _open(self) -> TextIOWrapper:
        if os.name != "posix":
            return super()._open()
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)  # the handler closes it


_current_limit: RateLimitFilter | None = None


def setup_logging(log_dir: Path, name: str, level: str = "INFO", *, rate_limit: RateLimitFilter | None = None) -> Path:
    """Send all logging to ``log_dir/<name>.log`` (5 x 5 MB, user-only) and to stderr when there is one, through
    a :class:`RateLimitFilter` (``rate_limit``, else the default one) and the redaction; returns the file."""
    global _current_limit
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{name}.log"
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [
        PrivateRotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    ]
    if sys.stderr is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    teardown_logging()
    limit = rate_limit if rate_limit is not None else RateLimitFilter()
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(limit)  # first: it decides on the record as logged, before the redaction rewrites it
        h.addFilter(RedactingFilter())
        h._tvbridge = True  # type: ignore[attr-defined]
        root.addHandler(h)
    _current_limit = limit
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def flush_suppressed() -> None:
    """Write the counts of lines the rate limit is holding back (at exit, and before the handlers go)."""
    if _current_limit is not None:
        _current_limit.flush()


atexit.register(flush_suppressed)  # registered after logging's own shutdown hook, so it runs before it


def teardown_logging() -> None:
    """Remove (and close) the handlers :func:`setup_logging` installed, after writing the rate limit's counts;
    others are left alone."""
    global _current_limit
    flush_suppressed()
    _current_limit = None
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_tvbridge", False):
            root.removeHandler(h)
            h.close()
