"""Job results on their way to the server, posted by a thread of their own.

The job loop never waits for the server to store a result: it hands the result to the :class:`ResultOutbox` and
goes on with the next job. The outbox posts whatever finished meanwhile in one request
(``POST /api/v1/agents/{agent_id}/results``): a lone trade at once; during a burst (the job loop still has claimed
jobs in hand) it lets results gather for up to :data:`LINGER` seconds or :data:`BATCH` results, so a burst of 500
is reported in a handful of posts instead of hundreds.

A result that cannot be posted even after the client's retries stays unreported: its job stays claimed on the
server, and the agent's next start finds it and reports what the terminal shows, without sending anything again.
A result the server refuses because another agent process took the agent id over (423) is dropped: that process
takes the job over and reports what the terminal shows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import httpx

from agent.client import ContractMismatch, Fenced, ServerClient
from contract import JobResult

logger = logging.getLogger(__name__)

#: Seconds a result may wait for others while the job loop is busy with more claimed jobs.
LINGER = 0.05
#: Results that are posted at once, however busy the job loop is.
BATCH = 64
#: Seconds a post is still retried once the agent is stopping (the server may be gone with the app).
STOP_GRACE = 10.0


class ResultOutbox:
    """Posts job results in the background. ``stopping()`` shortens the retries when the agent is going away;
    ``busy()`` says the job loop has more claimed jobs in hand (results may then gather briefly)."""

    def __init__(
        self, client: ServerClient, stopping: Callable[[], bool], busy: Callable[[], bool] = lambda: False
    ) -> None:
        self._client = client
        self._stopping = stopping
        self._busy = busy
        self._urgent = False
        self._cond = threading.Condition()
        self._pending: list[tuple[int, JobResult]] = []
        self._in_flight = 0
        self._closed = False
        self._stop_seen: float | None = None
        self._thread = threading.Thread(target=self._run, name="results", daemon=True)

    def start(self) -> None:
        """Start the posting thread."""
        self._thread.start()

    def put(self, job_id: int, result: JobResult) -> None:
        """Queue a finished job's result for the next post."""
        with self._cond:
            self._pending.append((job_id, result))
            self._cond.notify_all()

    @property
    def empty(self) -> bool:
        """True when every result handed in was posted (or given up on)."""
        with self._cond:
            return not self._pending and not self._in_flight

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every result handed in so far was posted (or given up on); False on time-out."""
        with self._cond:
            self._urgent = True  # the job loop is about to wait: post what is there now
            self._cond.notify_all()
            return self._cond.wait_for(lambda: not self._pending and not self._in_flight, timeout)

    def close(self, timeout: float = 15.0) -> None:
        """Post what is left, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _give_up(self) -> bool:
        """Retries end :data:`STOP_GRACE` seconds after the agent started stopping, whenever the post began."""
        if not self._stopping():
            return False
        if self._stop_seen is None:
            self._stop_seen = time.monotonic()
        return time.monotonic() - self._stop_seen > STOP_GRACE

    def _gather(self) -> None:
        """With the lock held: while the job loop is busy, let more results join the post (bounded)."""
        deadline = time.monotonic() + LINGER
        while self._busy() and not (self._urgent or self._closed) and len(self._pending) < BATCH:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if not self._pending:
                    return
                self._gather()
                batch, self._pending = self._pending, []
                self._urgent = False
                self._in_flight = len(batch)
            try:
                self._client.post_results(batch, give_up=self._give_up)
            except Fenced as exc:
                ids = [job_id for job_id, _ in batch]
                logger.error("jobs %s not reported: %s", ids, exc)
            except (httpx.HTTPError, ContractMismatch) as exc:
                ids = [job_id for job_id, _ in batch]
                logger.error("could not report jobs %s (%s); the next start reports them from the terminal", ids, exc)
            except Exception:  # the thread must outlive anything one post throws
                logger.exception("reporting job results failed")
            finally:
                with self._cond:
                    self._in_flight = 0
                    self._cond.notify_all()
