"""Logging: one rotating file per process in the log folder, webhook secrets and tokens redacted from every
line (uvicorn's access log included), and no console handler when there is no console (windowed builds
start with ``sys.stderr`` set to None)."""

from __future__ import annotations

import logging
import re
import sys
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


def setup_logging(log_dir: Path, name: str, level: str = "INFO") -> Path:
    """Send all logging to ``log_dir/<name>.log`` (5 x 5 MB) and to stderr when there is one; returns the file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / f"{name}.log"
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    handlers: list[logging.Handler] = [RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")]
    if sys.stderr is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    teardown_logging()
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(RedactingFilter())
        h._tvbridge = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path


def teardown_logging() -> None:
    """Remove (and close) the handlers :func:`setup_logging` installed; others are left alone."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_tvbridge", False):
            root.removeHandler(h)
            h.close()
