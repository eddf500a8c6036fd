"""Agent API (admin listener, agent token): long-poll jobs, post results and account snapshots.

Every request must carry the agent's contract version (:data:`contract.CONTRACT_HEADER`); an agent that speaks
another version is refused with 409 and a sentence before it can take a job (:mod:`contract.version`).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

import contract
from contract import CONTRACT_HEADER, JobResult, TradeJob, version_mismatch
from contract.jobs import JobSpec
from server.agents import JobNotFound
from server.context import ServerContext
from server.models import Job

#: Longest long-poll a client may ask for, in seconds (kept below common proxy idle time-outs).
MAX_WAIT_SECONDS = 60.0


async def check_contract(
    agent_id: str,
    request: Request,
    version: int | None = Header(default=None, alias=CONTRACT_HEADER),
) -> None:
    """Refuse an agent whose contract version differs from the server's (409, with the sentence recorded as the
    agent's last error so the tray and the dashboard show it)."""
    refusal = version_mismatch(version)
    if refusal is not None:
        ctx: ServerContext = request.app.state.ctx
        await run_in_threadpool(ctx.agents.record_refusal, agent_id, refusal)
        raise HTTPException(409, refusal)


router = APIRouter(prefix="/api/v1/agents/{agent_id}", tags=["agents"], dependencies=[Depends(check_contract)])


def job_out(job: Job) -> TradeJob:
    """The wire shape of a stored job (:class:`contract.TradeJob`)."""
    spec = JobSpec.model_validate(job.payload)
    assert job.id is not None and job.signal_id is not None and job.expires_at is not None
    return TradeJob(
        id=job.id,
        signal_id=job.signal_id,
        strategy_id=spec.strategy_id,
        attempts=job.attempts,
        claimed_at=job.claimed_at,
        deadline=job.expires_at,
        intent=spec.intent,
        settings=spec.settings,
    )


@router.get("/jobs/next", response_model=TradeJob, responses={204: {"description": "No job came in time."}})
async def next_job(
    agent_id: str, request: Request, wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS)
) -> TradeJob | Response:
    """Claim the agent's oldest queued job, waiting up to ``wait`` seconds for one; 204 when none came.

    The wait ends the moment a job is queued (no polling interval on an alert's path).
    """
    ctx: ServerContext = request.app.state.ctx
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    await run_in_threadpool(ctx.agents.touch, agent_id)
    while True:
        woken = ctx.notifier.arm(agent_id)
        job = await run_in_threadpool(ctx.queue.claim_next, agent_id)
        if job is not None:
            return job_out(job)
        remaining = deadline - loop.time()
        if remaining <= 0 or ctx.notifier.closed or await request.is_disconnected():
            return Response(status_code=204)
        try:
            await asyncio.wait_for(woken.wait(), timeout=min(remaining, 5.0))
        except TimeoutError:
            continue


@router.get("/jobs/unfinished")
async def unfinished_jobs(agent_id: str, request: Request) -> list[TradeJob]:
    """Jobs this agent claimed but never finished: to reconcile against the terminal after a restart."""
    ctx: ServerContext = request.app.state.ctx
    return [job_out(j) for j in await run_in_threadpool(ctx.queue.unfinished, agent_id)]


class AgentProgress(BaseModel):
    """Where an agent stands: ``last_finished_signal`` is the newest signal whose job for this agent is done
    (``None``: none yet). A starting agent versions its snapshots from it (:mod:`contract.account`)."""

    last_finished_signal: int | None


@router.get("/progress")
async def read_progress(agent_id: str, request: Request) -> AgentProgress:
    """The newest signal whose job for this agent is done."""
    ctx: ServerContext = request.app.state.ctx
    return AgentProgress(last_finished_signal=await run_in_threadpool(ctx.queue.last_finished_signal, agent_id))


class ResultAck(BaseModel):
    """The server's answer to a job result: the signal it finished and that signal's status now."""

    job_id: int
    signal_id: int | None
    status: str | None


@router.post("/jobs/{job_id}/result", responses={404: {"description": "No such job for this agent."}})
async def post_result(agent_id: str, job_id: int, body: JobResult, request: Request) -> ResultAck:
    """Record a job's outcome and propagate it to its signal (a repeated post of a finished job is ignored)."""
    ctx: ServerContext = request.app.state.ctx
    try:
        signal = await run_in_threadpool(ctx.agents.record_result, agent_id, job_id, body)
    except JobNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return ResultAck(job_id=job_id, signal_id=signal.id if signal else None, status=signal.status if signal else None)


@router.post("/snapshot", status_code=204)
async def post_snapshot(agent_id: str, body: contract.AccountSnapshot, request: Request) -> None:
    """Replace the agent's latest account snapshot (an older post of the same agent process is ignored)."""
    ctx: ServerContext = request.app.state.ctx
    await run_in_threadpool(ctx.agents.record_snapshot, agent_id, body)
