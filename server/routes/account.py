"""``/api/v1/account``, ``/api/v1/positions``, ``/api/v1/agents``, ``/api/v1/tunnel``: read-only state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session, col, select

from server.context import ServerContext
from server.models import AccountSnapshot, Agent, Strategy

router = APIRouter(prefix="/api/v1", tags=["account"])


@router.get("/account")
async def read_account(request: Request, agent_id: str | None = None) -> list[dict[str, Any]]:
    """The latest account snapshot of each agent (or of ``agent_id``)."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            stmt = select(AccountSnapshot).order_by(col(AccountSnapshot.agent_id))
            if agent_id is not None:
                stmt = stmt.where(AccountSnapshot.agent_id == agent_id)
            return [s.model_dump(exclude={"positions"}) for s in session.exec(stmt).all()]

    return await run_in_threadpool(query)


@router.get("/positions")
async def read_positions(request: Request, strategy_id: int | None = None) -> list[dict[str, Any]]:
    """Open positions from the agents' latest snapshots; with ``strategy_id``, only that strategy's
    (by its magic number): ``symbol, type, volume, price_open, sl, tp, ticket, magic, profit``."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]] | None:
        with Session(ctx.engine) as session:
            snaps = session.exec(select(AccountSnapshot)).all()
            positions = [dict(p, agent_id=s.agent_id) for s in snaps for p in s.positions]
            if strategy_id is None:
                return positions
            strategy = session.get(Strategy, strategy_id)
            if strategy is None:
                return None
            return [
                p
                for p in positions
                if p.get("magic") == strategy.magic_number and p["agent_id"] == strategy.broker_connection
            ]

    found = await run_in_threadpool(query)
    if found is None:
        raise HTTPException(404, f"No strategy with id {strategy_id}.")
    return found


@router.get("/agents")
async def list_agents(request: Request) -> list[dict[str, Any]]:
    """Every agent that ever connected, with its last-seen time and terminal health."""
    ctx: ServerContext = request.app.state.ctx

    def query() -> list[dict[str, Any]]:
        with Session(ctx.engine) as session:
            return [a.model_dump() for a in session.exec(select(Agent).order_by(col(Agent.id))).all()]

    return await run_in_threadpool(query)


@router.get("/tunnel")
async def read_tunnel(request: Request) -> dict[str, Any]:
    """The tunnel's state (``disabled``/``starting``/``online``/``reconnecting``/``error``/``stopped``),
    its public URL and the reason in plain words."""
    ctx: ServerContext = request.app.state.ctx
    return ctx.tunnel_status()
