"""Agent API (admin listener, agent token): long-poll jobs in batches, post results in batches, post account
snapshots.

Every request must carry the agent's contract version (:data:`contract.CONTRACT_HEADER`); an agent that speaks
another version is refused with 409 and a sentence before it can take a job (:mod:`contract.version`).

Every write is a writer op (:mod:`server.writer`); a write the database cannot take answers 503 (the agent
retries). The handlers never use the thread pool except for the two reads an agent makes at start.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

import contract
from contract import CONTRACT_HEADER, JobBatch, JobRelease, JobResult, ResultBatch, TradeJob, version_mismatch
from contract.jobs import MAX_BATCH
from server.agents import JobNotFound
from server.deps import ServerCtx
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


def _json(model: BaseModel) -> Response:
    # The models are built from stored, already validated data: serialize once, without a second validation.
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/jobs/claim", response_model=JobBatch, responses=_UNAVAILABLE)
async def claim_jobs(
    agent_id: str,
    request: Request,
    ctx: ServerCtx,
    max: int = Query(1, ge=1, le=MAX_BATCH, description="most jobs to take"),  # noqa: A002 - the wire name
    wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS),
) -> Response:
    """Claim up to ``max`` of the agent's queued jobs, oldest first, waiting up to ``wait`` seconds for the first;
    an empty list when none came. The wait ends the moment a job is committed for the agent (that same commit
    claims it), and the claim is durable before the answer: a job is never handed to a second agent."""
    try:
        jobs = await ctx.queue.poll(agent_id, max, wait, request.is_disconnected)
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    return _json(JobBatch(jobs=jobs))


@router.get("/jobs/next", response_model=TradeJob, responses={204: {"description": "No job came in time."}})
async def next_job(
    agent_id: str, request: Request, ctx: ServerCtx, wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS)
) -> Response:
    """One job at a time (agents before batches): as :func:`claim_jobs` with ``max=1``; 204 when none came."""
    try:
        jobs = await ctx.queue.poll(agent_id, 1, wait, request.is_disconnected)
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    return _json(jobs[0]) if jobs else Response(status_code=204)


@router.post("/jobs/release", responses=_UNAVAILABLE)
async def release_jobs(agent_id: str, body: JobRelease, ctx: ServerCtx) -> dict[str, int]:
    """Hand back claimed jobs the agent has not started (it is stopping): they return to the queue."""
    try:
        return {"released": await ctx.queue.release(agent_id, body.job_ids)}
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc


@router.get("/jobs/unfinished")
async def unfinished_jobs(agent_id: str, ctx: ServerCtx) -> list[TradeJob]:
    """Jobs this agent claimed but never finished: to reconcile against the terminal after a restart."""
    return await run_in_threadpool(ctx.queue.reads.unfinished, agent_id)


class AgentProgress(BaseModel):
    """Where an agent stands: ``last_finished_signal`` is the newest signal whose job for this agent is done
    (``None``: none yet). A starting agent versions its snapshots from it (:mod:`contract.account`)."""

    last_finished_signal: int | None


@router.get("/progress")
async def read_progress(agent_id: str, ctx: ServerCtx) -> AgentProgress:
    """The newest signal whose job for this agent is done."""
    return AgentProgress(last_finished_signal=await run_in_threadpool(ctx.queue.reads.last_finished_signal, agent_id))


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


@router.post("/results", responses=_UNAVAILABLE)
async def post_results(agent_id: str, body: ResultBatch, ctx: ServerCtx) -> ResultAcks:
    """Record several job outcomes at once (each as :func:`post_result` would); repeated reports are ignored."""
    try:
        answers = await ctx.agents.record_results(agent_id, [(r.job_id, r.result) for r in body.results])
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    acks: list[ResultAck] = []
    missing: list[int] = []
    for report, answer in zip(body.results, answers, strict=True):
        if isinstance(answer, JobNotFound):
            missing.append(report.job_id)
        else:
            acks.append(ResultAck(job_id=answer[0], signal_id=answer[1], status=answer[2]))
    return ResultAcks(acks=acks, missing=missing)


@router.post("/jobs/{job_id}/result", responses={404: {"description": "No such job for this agent."}})
async def post_result(agent_id: str, job_id: int, body: JobResult, ctx: ServerCtx) -> ResultAck:
    """Record a job's outcome and propagate it to its signal (a repeated post of a finished job is ignored)."""
    try:
        [answer] = await ctx.agents.record_results(agent_id, [(job_id, body)])
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    if isinstance(answer, JobNotFound):
        raise HTTPException(404, str(answer))
    return ResultAck(job_id=answer[0], signal_id=answer[1], status=answer[2])


@router.post("/snapshot", status_code=204, responses=_UNAVAILABLE)
async def post_snapshot(agent_id: str, body: contract.AccountSnapshot, ctx: ServerCtx) -> None:
    """Replace the agent's latest account snapshot (an older post of the same agent process is ignored)."""
    try:
        await ctx.agents.record_snapshot(agent_id, body)
    except StorageUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
