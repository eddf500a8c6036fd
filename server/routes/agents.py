"""Agent API (admin listener, agent token): long-poll jobs, post results and account snapshots."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from server.agents import JobNotFound, JobResult, SnapshotIn
from server.context import ServerContext
from server.models import Job

router = APIRouter(prefix="/api/v1/agents/{agent_id}", tags=["agents"])

#: Longest long-poll a client may ask for, in seconds (kept below common proxy idle time-outs).
MAX_WAIT_SECONDS = 60.0


def job_out(job: Job) -> dict[str, Any]:
    """The API shape of a job."""
    return {
        "id": job.id,
        "job_type": job.job_type,
        "payload": job.payload,
        "attempts": job.attempts,
        "claimed_at": job.claimed_at.isoformat() if job.claimed_at else None,
    }


@router.get("/jobs/next", response_model=None)
async def next_job(
    agent_id: str, request: Request, wait: float = Query(0.0, ge=0.0, le=MAX_WAIT_SECONDS)
) -> dict[str, Any] | Response:
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
async def unfinished_jobs(agent_id: str, request: Request) -> list[dict[str, Any]]:
    """Jobs this agent claimed but never finished: to reconcile against the terminal after a restart."""
    ctx: ServerContext = request.app.state.ctx
    return [job_out(j) for j in await run_in_threadpool(ctx.queue.unfinished, agent_id)]


@router.post("/jobs/{job_id}/result")
async def post_result(agent_id: str, job_id: int, body: JobResult, request: Request) -> dict[str, Any]:
    """Record a job's outcome and propagate it to its signal."""
    ctx: ServerContext = request.app.state.ctx
    try:
        signal = await run_in_threadpool(ctx.agents.record_result, agent_id, job_id, body)
    except JobNotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return {"job_id": job_id, "signal_id": signal.id if signal else None, "status": signal.status if signal else None}


@router.post("/snapshot", status_code=204)
async def post_snapshot(agent_id: str, body: SnapshotIn, request: Request) -> None:
    """Replace the agent's latest account snapshot."""
    ctx: ServerContext = request.app.state.ctx
    await run_in_threadpool(ctx.agents.record_snapshot, agent_id, body)
