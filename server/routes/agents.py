"""Agent API (admin listener, agent token): long-poll jobs in batches, post results in batches, post account
snapshots.

Every request must carry the agent's contract version (:data:`contract.CONTRACT_HEADER`); an agent that speaks
another version is refused with 409 and a sentence before it can take a job (:mod:`contract.version`).

One agent process at a time acts for an agent id (:mod:`server.leases`): it asks for the lease first
(``POST .../lease``) and then sends its epoch (:data:`contract.LEASE_HEADER`) with every claim, hand-back, result
and snapshot; a process whose epoch is not the newest (or, to claim, whose lease lapsed) is answered 423 with a
:class:`contract.LeaseRefusal` as ``detail``, and nothing of its request is stored.

Every write is a writer op (:mod:`server.writer`); a write the database cannot take answers 503 (the agent
retries). The handlers never use the thread pool except for the two reads an agent makes at start.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

import contract
from contract import (
    CONTRACT_HEADER,
    LEASE_HEADER,
    LEASE_REFUSED,
    AgentProgress,
    JobBatch,
    JobRelease,
    JobResult,
    LeaseGrant,
    LeaseRequest,
    ResultBatch,
    TradeJob,
    version_mismatch,
)
from contract.jobs import MAX_BATCH
from server.agents import JobNotFound
from server.deps import ServerCtx
from server.queue import LeaseRefused
from server.writer import StorageUnavailable

#: Longest long-poll a client may ask for, in seconds (kept below common proxy idle time-outs).
MAX_WAIT_SECONDS = 60.0


async def check_contract(
    agent_id: str,
    ctx: ServerCtx,
    version: int | None = Header(default=None, alias=CONTRACT_HEADER),
) -> None:
    """Refuse an agent whose contract version differs from the server's (409, with the sentence recorded as the
    agent's last error so the tray and the dashboard show it)."""
    refusal = version_mismatch(version)
    if refusal is not None:
        try:
            await ctx.agents.record_refusal(agent_id, refusal)
        except StorageUnavailable:
            pass  # the refusal itself matters more than recording it
        raise HTTPException(409, refusal)


router = APIRouter(prefix="/api/v1/agents/{agent_id}", tags=["agents"], dependencies=[Depends(check_contract)])

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"description": "The database could not be written; retry."}}
_FENCED: dict[int | str, dict[str, Any]] = {
    LEASE_REFUSED: {"description": "This agent process does not hold the agent id's lease (detail: a LeaseRefusal)."},
    **_UNAVAILABLE,
}


def lease_epoch(epoch: Annotated[int, Header(alias=LEASE_HEADER, ge=1, lt=2**63)]) -> int:
    """The caller's lease epoch (required: a request without one is refused 422 before anything happens)."""
    return epoch


Epoch = Annotated[int, Depends(lease_epoch)]


def _refused(exc: LeaseRefused) -> HTTPException:
    return HTTPException(LEASE_REFUSED, exc.refusal.model_dump())


@router.post("/lease", response_model=LeaseGrant, responses=_FENCED)
async def take_lease(agent_id: str, body: LeaseRequest, ctx: ServerCtx) -> LeaseGrant:
    """Ask for (``epoch`` null) or renew the lease of this agent id: only its holder may claim jobs and report.
    Granted when nobody else holds a live one (see server/leases.py); else 423 with who holds it and for how long."""
    try:
        return await ctx.queue.lease(agent_id, body)
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc


@router.delete("/lease", responses=_UNAVAILABLE)
async def end_lease(agent_id: str, epoch: Epoch, ctx: ServerCtx, holder: str = Query(max_length=64)) -> dict[str, bool]:
    """End the holder's lease now (a clean stop), so another process need not wait for it to lapse."""
    try:
        return {"released": await ctx.queue.release_lease(agent_id, epoch, holder)}
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc


def _json(model: BaseModel) -> Response:
    # The models are built from stored, already validated data: serialize once, without a second validation.
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/jobs/claim", response_model=JobBatch, responses=_FENCED)
async def claim_jobs(
    agent_id: str,
    request: Request,
    ctx: ServerCtx,
    epoch: Epoch,
    max: int = Query(1, ge=1, le=MAX_BATCH, description="most jobs to take"),  # noqa: A002 - the wire name
    wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS),
) -> Response:
    """Claim up to ``max`` of the agent's queued jobs, oldest first, waiting up to ``wait`` seconds for the first;
    an empty list when none came. The wait ends the moment a job is committed for the agent (that same commit
    claims it), and the claim is durable before the answer: a job is never handed to a second agent. Only the
    holder of the agent id's live lease may claim; a poll ends, empty, when a newer lease is granted."""
    try:
        jobs = await ctx.queue.poll(agent_id, max, wait, request.is_disconnected, epoch=epoch)
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    return _json(JobBatch(jobs=jobs))


@router.get(
    "/jobs/next", response_model=TradeJob, responses={204: {"description": "No job came in time."}, **_FENCED}
)
async def next_job(
    agent_id: str, request: Request, ctx: ServerCtx, epoch: Epoch,
    wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS),
) -> Response:
    """One job at a time (agents before batches): as :func:`claim_jobs` with ``max=1``; 204 when none came."""
    try:
        jobs = await ctx.queue.poll(agent_id, 1, wait, request.is_disconnected, epoch=epoch)
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    return _json(jobs[0]) if jobs else Response(status_code=204)


@router.post("/jobs/release", responses=_FENCED)
async def release_jobs(agent_id: str, body: JobRelease, ctx: ServerCtx, epoch: Epoch) -> dict[str, int]:
    """Hand back claimed jobs the agent has not started (it is stopping): they return to the queue."""
    try:
        return {"released": await ctx.queue.release(agent_id, body.job_ids, epoch)}
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc


@router.post("/jobs/unfinished", response_model=JobBatch, responses=_FENCED)
async def take_over_unfinished(agent_id: str, ctx: ServerCtx, epoch: Epoch) -> Response:
    """Take over every job of this agent id claimed and never finished (by this process's predecessors, or
    before a restart): to reconcile at the broker before anything else is sent. Each hand-out to a new lease counts
    as a delivery; a job delivered three times without a result comes quarantined (``quarantine``: look it up,
    never send it)."""
    try:
        return _json(JobBatch(jobs=await ctx.queue.recover(agent_id, epoch)))
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc


@router.get("/jobs/unfinished")
async def unfinished_jobs(agent_id: str, ctx: ServerCtx) -> list[TradeJob]:
    """Jobs of this agent id claimed and never finished, without taking them over (a read)."""
    return await run_in_threadpool(ctx.queue.reads.unfinished, agent_id)


@router.get("/progress")
async def read_progress(agent_id: str, ctx: ServerCtx) -> AgentProgress:
    """Where this agent id stands (:class:`contract.AgentProgress`): the newest signal whose job for it is done and
    the highest ``finish_seq`` stored for it. A starting agent process numbers its finished jobs on from it."""
    return await run_in_threadpool(ctx.queue.reads.progress, agent_id)


class ResultAck(BaseModel):
    """The server's answer to a job result: the signal it finished and that signal's status now."""

    job_id: int
    signal_id: int | None
    status: str | None


class ResultAcks(BaseModel):
    """The answers to a :class:`contract.ResultBatch`, in its order; ``missing`` lists job ids that are not this
    agent's (nothing was recorded for them)."""

    acks: list[ResultAck]
    missing: list[int]


async def _record(
    ctx: ServerCtx, agent_id: str, epoch: int, results: list[tuple[int, JobResult]]
) -> list[tuple[int, int | None, str | None] | JobNotFound]:
    try:
        answers = await ctx.agents.record_results(agent_id, results, epoch)
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    for (job_id, result), answer in zip(results, answers, strict=True):
        if not isinstance(answer, JobNotFound) and answer[1] is None:
            ctx.queue.dry_runs.answer(job_id, result)  # a dry run's plan, to the admin request waiting for it
    return answers


@router.post("/results", responses=_FENCED)
async def post_results(agent_id: str, body: ResultBatch, ctx: ServerCtx, epoch: Epoch) -> ResultAcks:
    """Record several job outcomes at once (each as :func:`post_result` would); repeated reports are ignored."""
    answers = await _record(ctx, agent_id, epoch, [(r.job_id, r.result) for r in body.results])
    acks: list[ResultAck] = []
    missing: list[int] = []
    for report, answer in zip(body.results, answers, strict=True):
        if isinstance(answer, JobNotFound):
            missing.append(report.job_id)
        else:
            acks.append(ResultAck(job_id=answer[0], signal_id=answer[1], status=answer[2]))
    return ResultAcks(acks=acks, missing=missing)


@router.post(
    "/jobs/{job_id}/result", responses={404: {"description": "No such job for this agent."}, **_FENCED}
)
async def post_result(agent_id: str, job_id: int, body: JobResult, ctx: ServerCtx, epoch: Epoch) -> ResultAck:
    """Record a job's outcome and propagate it to its signal (a repeated post of a finished job is ignored)."""
    [answer] = await _record(ctx, agent_id, epoch, [(job_id, body)])
    if isinstance(answer, JobNotFound):
        raise HTTPException(404, str(answer))
    return ResultAck(job_id=answer[0], signal_id=answer[1], status=answer[2])


@router.post("/snapshot", status_code=204, responses=_FENCED)
async def post_snapshot(agent_id: str, body: contract.AccountSnapshot, ctx: ServerCtx, epoch: Epoch) -> None:
    """Replace the agent's latest account snapshot (an older post of the same agent process is ignored)."""
    try:
        await ctx.agents.record_snapshot(agent_id, body, epoch)
    except LeaseRefused as exc:
        raise _refused(exc) from exc
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
