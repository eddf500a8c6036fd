"""The agent's HTTP client for the admin listener's agent API (httpx, agent token, contract models).

Every request carries the contract version; once the process holds its agent id's lease (:mod:`agent.lease`),
every request but the lease request carries the lease epoch too (:data:`contract.LEASE_HEADER`). A request the
server refuses because the process does not hold the lease raises :class:`Fenced`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from pydantic import BaseModel
from tenacity import before_sleep_log, retry_if_exception, stop_after_delay, wait_exponential
from tenacity import retry as retrying

from contract import (
    CONTRACT_HEADER,
    CONTRACT_VERSION,
    LEASE_HEADER,
    LEASE_REFUSED,
    AccountSnapshot,
    AgentProgress,
    JobRelease,
    JobReport,
    JobResult,
    LeaseGrant,
    LeaseRefusal,
    LeaseRequest,
    ResultBatch,
    TradeJob,
    version_mismatch,
)
from contract.jobs import MAX_BATCH

logger = logging.getLogger(__name__)


class ContractMismatch(RuntimeError):
    """The server speaks another contract version; ``str(exc)`` is the sentence saying which side to update."""


class Fenced(RuntimeError):
    """The server refused the request (423): this process does not hold its agent id's lease, or its lease lapsed.
    ``refusal.sentence`` says which; nothing of the request was stored."""

    def __init__(self, refusal: LeaseRefusal) -> None:
        super().__init__(refusal.sentence)
        self.refusal = refusal


class ServerClient:
    """Talks to ``/api/v1/agents/{agent_id}/...``. Network errors raise ``httpx.HTTPError``; a server that
    speaks another contract version raises :class:`ContractMismatch`; a request of a process that does not hold the
    agent id's lease raises :class:`Fenced`."""

    def __init__(
        self, admin_url: str, token: str, agent_id: str, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.agent_id = agent_id
        self._http = httpx.Client(
            base_url=f"{admin_url.rstrip('/')}/api/v1/agents/{agent_id}",
            headers={"Authorization": f"Bearer {token}", CONTRACT_HEADER: str(CONTRACT_VERSION)},
            timeout=httpx.Timeout(10.0, read=75.0),
            transport=transport,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    @property
    def epoch(self) -> int | None:
        """The lease epoch sent with every request (``None`` before the lease is granted)."""
        value = self._http.headers.get(LEASE_HEADER)
        return int(value) if value else None

    def set_epoch(self, epoch: int) -> None:
        """Send ``epoch`` with every later request."""
        self._http.headers[LEASE_HEADER] = str(epoch)

    def take_lease(self, ask: LeaseRequest, timeout: float = 5.0) -> LeaseGrant:
        """Ask for or renew the agent id's lease (within ``timeout`` seconds).

        :raises Fenced: another process holds it, or the renewed lease is no longer this process's.
        """
        content = ask.model_dump_json()
        resp = self._checked(
            self._http.post("/lease", content=content, headers={"Content-Type": "application/json"}, timeout=timeout)
        )
        return LeaseGrant.model_validate(resp.json())

    def release_lease(self, holder: str) -> None:
        """End this process's lease now (a clean stop), so a waiting agent need not wait for it to lapse."""
        self._checked(self._http.delete("/lease", params={"holder": holder}, timeout=5.0))

    def take_over_unfinished(self) -> list[TradeJob]:
        """Take over every job of the agent id claimed and never finished (before a restart, or by a process that
        held the lease before this one): to reconcile at the broker before anything else is sent."""
        resp = self._checked(self._http.post("/jobs/unfinished"))
        return [_job(j) for j in resp.json()["jobs"]]

    def next_job(self, wait: float) -> TradeJob | None:
        """Long-poll for a job for up to ``wait`` seconds; ``None`` when none came.

        :raises ContractMismatch: the server or the job is of another contract version (nothing is traded).
        """
        resp = self._checked(self._http.get("/jobs/next", params={"wait": wait}))
        return None if resp.status_code == 204 else _job(resp.json())

    def claim_jobs(self, max_jobs: int, wait: float) -> list[TradeJob]:
        """Claim up to ``max_jobs`` jobs, long-polling up to ``wait`` seconds for the first; empty when none came.

        :raises ContractMismatch: the server or a job is of another contract version (nothing is traded).
        """
        resp = self._checked(self._http.post("/jobs/claim", params={"max": max_jobs, "wait": wait}))
        return [_job(j) for j in resp.json()["jobs"]]

    def release_jobs(self, job_ids: list[int]) -> None:
        """Hand back claimed jobs this agent will not start (it is stopping); they return to the queue."""
        for start in range(0, len(job_ids), MAX_BATCH):
            self._post("/jobs/release", JobRelease(job_ids=job_ids[start : start + MAX_BATCH]))

    def progress(self) -> AgentProgress:
        """Where this agent id stands on the server: the newest signal whose job for it is done and the highest
        ``finish_seq`` stored for it (each ``None``: none yet; also from a server that does not report it)."""
        resp = self._checked(self._http.get("/progress"))
        return AgentProgress.model_validate(resp.json())

    def post_result(self, job_id: int, result: JobResult, *, give_up_after: float = 600.0) -> None:
        """Report one job's outcome (see :meth:`post_results`)."""
        self.post_results([(job_id, result)], give_up_after=give_up_after)

    def post_results(
        self,
        results: list[tuple[int, JobResult]],
        *,
        give_up_after: float = 600.0,
        give_up: Callable[[], bool] = lambda: False,
    ) -> None:
        """Report jobs' outcomes in as few posts as possible, retrying connection failures and 5xx answers (the
        database was busy) for up to ``give_up_after`` seconds, or until ``give_up()`` says so (the agent is going
        away): a trade that happened must reach the signal log (the server ignores a repeated report)."""
        within = stop_after_delay(give_up_after)
        send = retrying(
            retry=retry_if_exception(_worth_retrying),
            wait=wait_exponential(multiplier=0.2, max=10.0),
            stop=lambda state: within(state) or give_up(),
            before_sleep=before_sleep_log(logger, logging.WARNING),
            reraise=True,
        )(self._post)
        for start in range(0, len(results), MAX_BATCH):
            chunk = results[start : start + MAX_BATCH]
            send("/results", ResultBatch(results=[JobReport(job_id=j, result=r) for j, r in chunk]))

    def post_snapshot(self, snapshot: AccountSnapshot) -> None:
        """Offer the agent's account snapshot to the server (it keeps the newest)."""
        self._post("/snapshot", snapshot)

    def _post(self, path: str, body: BaseModel) -> None:
        content = body.model_dump_json()
        self._checked(self._http.post(path, content=content, headers={"Content-Type": "application/json"}))

    @staticmethod
    def _checked(resp: httpx.Response) -> httpx.Response:
        if resp.status_code == 409:
            raise ContractMismatch(resp.json().get("detail", resp.text))
        if resp.status_code == LEASE_REFUSED:
            try:
                refusal = LeaseRefusal.model_validate(resp.json()["detail"])
            except (ValueError, KeyError, TypeError):
                refusal = LeaseRefusal(sentence=f"The server refused this agent process's lease: {resp.text[:200]}")
            raise Fenced(refusal)
        resp.raise_for_status()
        return resp


def _worth_retrying(exc: BaseException) -> bool:
    """Connection failures and 5xx answers: the report may go through later. 4xx would fail again."""
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def _job(data: dict[str, object]) -> TradeJob:
    """A job, once its contract version is ours: a job of another version is never read, let alone traded."""
    written_in = data.get("contract_version")
    if not isinstance(written_in, int) or written_in != CONTRACT_VERSION:
        server = written_in if isinstance(written_in, int) else 0
        raise ContractMismatch(version_mismatch(CONTRACT_VERSION, server) or "The job has no contract version.")
    return TradeJob.model_validate(data)
