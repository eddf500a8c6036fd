"""The agent's crash journal: which jobs it started and has not finished, and how often.

The agent notes a job here (atomically) before it plans or sends anything, and removes it once the job's result
is posted. A job still noted when an agent starts was in flight when the previous process died. If the agent
died :data:`QUARANTINE_AFTER` times while executing one job, that job (typically one malformed alert that
crashes the process in a way no ``except`` can catch) is quarantined: reported ``failed`` with a sentence and
never run again, so one alert cannot crash-loop the agent and hold up every other one.

The journal lives beside the agent's other state (``agents/<agent id>/inflight.json``); a damaged journal is
set aside and started empty. It is replaced atomically but not flushed to disk: it must survive a killed
process (the OS keeps what was written), and skipping ``fsync`` keeps a disk round trip off every alert's path;
after a power cut a job may run once more, which reconciliation by comment keeps from doubling an order.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from agent.atomic import remove_leftovers, set_aside, write_atomic

logger = logging.getLogger(__name__)

#: Deaths of the agent while executing one job after which the job is quarantined, not run again.
QUARANTINE_AFTER = 2


class CrashJournal:
    """Jobs started and not yet finished, with the number of times each was started. Thread-safe.

    ``path`` ``None`` keeps the journal in memory (tests, or an agent without a data folder).
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._starts: dict[int, int] = self._load() if path is not None else {}

    def starts(self, job_id: int) -> int:
        """How many times an agent started executing ``job_id`` without finishing it."""
        with self._lock:
            return self._starts.get(job_id, 0)

    def quarantined(self, job_id: int) -> bool:
        """True when the agent died :data:`QUARANTINE_AFTER` times or more while executing ``job_id``."""
        return self.starts(job_id) >= QUARANTINE_AFTER

    def started(self, job_id: int) -> int:
        """Note (durably) that ``job_id`` is about to be executed; returns its start count including this one."""
        with self._lock:
            self._starts[job_id] = self._starts.get(job_id, 0) + 1
            self._save()
            return self._starts[job_id]

    def left(self, job_id: int) -> None:
        """Undo the latest :meth:`started` of ``job_id``: the agent put the job aside unexecuted on purpose (it is
        stopping while the broker is unreachable), which is not a death while executing it."""
        with self._lock:
            count = self._starts.get(job_id, 0) - 1
            if count > 0:
                self._starts[job_id] = count
            else:
                self._starts.pop(job_id, None)
            self._save()

    def finished(self, job_id: int) -> None:
        """Forget ``job_id``: its result was reported."""
        with self._lock:
            if self._starts.pop(job_id, None) is not None:
                self._save()

    def _save(self) -> None:
        if self._path is None:
            return
        try:
            write_atomic(self._path, json.dumps({str(k): v for k, v in self._starts.items()}), durable=False)
        except OSError as exc:  # a full or read-only disk must not stop trading: quarantine is then best-effort
            logger.warning("the crash journal %s could not be written: %s", self._path, exc)

    def _load(self) -> dict[int, int]:
        assert self._path is not None
        remove_leftovers(self._path)
        if not self._path.exists():
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
            return {int(k): int(v) for k, v in data.items()}
        except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            set_aside(self._path, f"{type(exc).__name__}: {exc}")
            return {}


def quarantine_sentence(starts: int) -> str:
    """The sentence a quarantined job's signal ends with."""
    return (
        f"Quarantined: the agent stopped {starts} times while executing this alert, so it was not tried again "
        f"(one alert must not keep the agent from trading the others). Nothing of it was found at the broker. "
        f"Check the alert's numbers, and send it again if you still want the trade; the agent's log has details."
    )
